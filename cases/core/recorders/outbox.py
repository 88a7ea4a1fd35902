"""The webhook outbox: one delivery row per subscribed endpoint, written in the caller's transaction.

`emit()` queues one delivery row per subscribed endpoint, inside the caller's transaction (the notification
outbox's pattern: keyed, so a second call queues nothing twice), and asks the job queue to send them once the
transaction commits (`wake`). Timeline events reach it through `on_case_event`, called by the one writer of
timeline entries (`cases.core.recorders.events.record_event`); bulk submissions through `emit_cases_submitted`;
sanctions and letters call `emit()` themselves with their own event type. Sending, retries and receipts are
`cases.api.services.deliveries`; subscriptions are `cases.api.services.webhooks`.
"""

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from cases.core import clock
from cases.core.choices import EventKind, Tier, Visibility
from cases.core.jobs import enqueue_after_commit
from cases.models import Case, CaseEvent, ServiceRecord, WebhookDelivery, WebhookEndpoint, WebhookEventType

EVENT_TYPES = tuple(WebhookEventType.values)
BATCH = 50  # deliveries claimed at once by one job
PARALLEL_JOBS = 4  # at most this many jobs queued at once for one endpoint's new deliveries

# Timeline entries and the event type each one is announced as. Entries not named here (internal notes, edits,
# assignments, evidence, the delivery receipts themselves) are not announced.
CASE_EVENT_TYPES = {
    EventKind.SUBMITTED: WebhookEventType.CASE_SUBMITTED,
    EventKind.REOPENED: WebhookEventType.CASE_SUBMITTED,
    EventKind.ACKNOWLEDGED: WebhookEventType.CASE_UPDATED,
    EventKind.ACTION_REPORTED: WebhookEventType.CASE_UPDATED,
    EventKind.OBJECTED: WebhookEventType.CASE_UPDATED,
    EventKind.OBJECTION_UPHELD: WebhookEventType.CASE_UPDATED,
    EventKind.OBJECTION_REJECTED: WebhookEventType.CASE_UPDATED,
    EventKind.VERIFIED: WebhookEventType.CASE_UPDATED,
    EventKind.WITHDRAWN: WebhookEventType.CASE_UPDATED,
    EventKind.OVERDUE: WebhookEventType.CASE_OVERDUE,
    EventKind.COMMENT: WebhookEventType.COMMENT_SHARED,
}


def wake(endpoint_id: int, n: int = 1, *, run_after: datetime | None = None) -> None:
    """Ask the queue to send the endpoint's due deliveries (after the current transaction commits)."""
    from cases.tasks import deliver_webhooks

    for _i in range(max(1, min(PARALLEL_JOBS, math.ceil(n / BATCH)))):
        enqueue_after_commit(deliver_webhooks, endpoint_id, run_after=run_after)


def api_url(path: str) -> str:
    base = getattr(settings, "PATUH_BASE_URL", "")
    return f"{base}{path}" if base else path


def case_ref(case: Case) -> dict:
    return {"reference": case.reference,
            "url": api_url(reverse("api:case-detail", kwargs={"reference": case.reference}))}


def _subscribed(platform_ids: Iterable[int], event_type: str) -> dict[int, list[WebhookEndpoint]]:
    by_platform: dict[int, list[WebhookEndpoint]] = {}
    rows = (WebhookEndpoint.objects.filter(platform_id__in=set(platform_ids), is_active=True, disabled_at__isnull=True)
            .order_by("id"))
    for endpoint in rows:
        if event_type in endpoint.event_types:
            by_platform.setdefault(endpoint.platform_id, []).append(endpoint)
    return by_platform


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _payload(event_type: str, *, key: str, occurred_at: datetime, data: dict) -> dict:
    return {"type": event_type, "id": key, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
            "data": data}


def emit(event_type: str, *, platform, key: str, data: dict, case: Case | None = None,
         occurred_at: datetime | None = None) -> int:
    """Announce an event to the platform's subscribed endpoints. Call inside the transaction that made the change.

    event_type: one of WebhookEventType (e.g. "sanction.issued", "letter.issued").
    key: unique per event (e.g. f"sanction.issued:{sanction.pk}"): emitting the same key twice queues nothing new.
    data: the thin payload's `data`: references and API URLs only, never the content (the platform fetches
      details through its scoped API), e.g. {"sanction": {"id": 7, "url": ".../api/v1/sanctions/7/"}}.
    Returns how many deliveries were queued.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    platform_id = getattr(platform, "pk", platform)
    endpoints = _subscribed([platform_id], event_type).get(platform_id, [])
    return _queue([(endpoint, key, _payload(event_type, key=key, occurred_at=occurred_at or clock.now(), data=data),
                    case) for endpoint in endpoints], event_type)


def _queue(rows: list[tuple[WebhookEndpoint, str, dict, Case | None]], event_type: str) -> int:
    if not rows:
        return 0
    now = clock.now()
    deliveries = [
        WebhookDelivery(key=f"{key}:{endpoint.pk}"[:200], message_id=new_message_id(), endpoint=endpoint,
                        platform_id=endpoint.platform_id, case=case, event_type=event_type, payload=payload,
                        created_at=now, next_attempt_at=now)
        for endpoint, key, payload, case in rows
    ]
    keys = [d.key for d in deliveries]
    before = WebhookDelivery.objects.filter(key__in=keys).count()
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    added = WebhookDelivery.objects.filter(key__in=keys).count() - before
    if added:
        counts: dict[int, int] = {}
        for endpoint, *_rest in rows:
            counts[endpoint.pk] = counts.get(endpoint.pk, 0) + 1
        for endpoint_id, n in counts.items():
            wake(endpoint_id, n)
    return added


def on_case_event(event: CaseEvent) -> int:
    """Announce a timeline entry (called by `record_event`, in its transaction). Only what the platform may see
    is announced: shared entries of cases submitted to it."""
    event_type = CASE_EVENT_TYPES.get(event.kind)
    case = event.case
    if event_type is None or event.visibility != Visibility.SHARED or case.submitted_at is None:
        return 0
    data = {"event_id": event.pk, "case": case_ref(case)}
    if event_type != WebhookEventType.CASE_SUBMITTED:
        return emit(event_type, platform=case.platform_id, key=f"event:{event.pk}", data=data, case=case,
                    occurred_at=event.created_at)
    key = f"case.submitted:{case.pk}:{case.submission_count}"
    queued = emit(event_type, platform=case.platform_id, key=key, data=data, case=case, occurred_at=event.created_at)
    ServiceRecord.objects.bulk_create([_service_record(case, by_webhook=bool(queued))], ignore_conflicts=True)
    return queued


def emit_cases_submitted(cases: Sequence[Case]) -> int:
    """case.submitted for a batch of new cases (bulk intake): one query for the endpoints, one insert."""
    if not cases:
        return 0
    now = clock.now()
    event_type = WebhookEventType.CASE_SUBMITTED
    endpoints = _subscribed({c.platform_id for c in cases}, event_type)
    ServiceRecord.objects.bulk_create([_service_record(case, by_webhook=case.platform_id in endpoints)
                                       for case in cases], ignore_conflicts=True)
    events = dict(CaseEvent.objects.filter(case__in=[c.pk for c in cases], kind=EventKind.SUBMITTED)
                  .values_list("case_id", "id")) if endpoints else {}
    rows = []
    for case in cases:
        for endpoint in endpoints.get(case.platform_id, []):
            key = f"case.submitted:{case.pk}:{case.submission_count}"
            data = {"event_id": events.get(case.pk), "case": case_ref(case)}
            rows.append((endpoint, key, _payload(event_type, key=key, occurred_at=now, data=data), case))
    return _queue(rows, event_type)


def emit_due_soon(case: Case) -> int:
    key = f"case.due_soon:{case.pk}:{case.submission_count}:{case.due_at:%Y%m%d%H%M}"
    return emit(WebhookEventType.CASE_DUE_SOON, platform=case.platform_id, key=key, case=case,
                data={"case": {**case_ref(case), "due_at": case.due_at.isoformat()}})


def emit_sanction_issued(sanction) -> int:
    """sanction.issued, for the sanctions service to call in the transaction that issues it."""
    return emit(WebhookEventType.SANCTION_ISSUED, platform=sanction.platform_id,
                key=f"sanction.issued:{sanction.pk}",
                data={"sanction": {"id": sanction.pk,
                                   "url": api_url(reverse("api:sanction-detail", kwargs={"pk": sanction.pk}))}})


def emit_letter_issued(letter) -> int:
    """letter.issued, when a letter's PDF is produced (cases.sanctions.services.letters.produce, in its transaction)."""
    data = {"letter": {"id": letter.pk, "number": letter.number, "language": letter.language,
                       "sha256": letter.sha256,
                       "url": api_url(reverse("api:letter-detail", kwargs={"pk": letter.pk}))}}
    if letter.case_id:
        data["case"] = case_ref(letter.case)
    return emit(WebhookEventType.LETTER_ISSUED, platform=letter.platform_id, key=f"letter.issued:{letter.pk}",
                data=data, case=letter.case if letter.case_id else None)


def _service_record(case: Case, *, by_webhook: bool) -> ServiceRecord:
    return ServiceRecord(case=case, cycle=case.submission_count, platform_id=case.platform_id,
                         urgent=case.tier == Tier.URGENT, submitted_at=clock.now(), by_webhook=by_webhook)
