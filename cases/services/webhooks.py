"""Webhooks: subscriptions, the one emit function, and proof of service.

Who may manage a platform's endpoints: its liaisons, and administrators. Everyone who may see the platform
(the ministry, its liaisons) may read its endpoints and deliveries; liaisons and ministry writers may ask for a
redelivery.

`emit()` queues one delivery row per subscribed endpoint, inside the caller's transaction (the notification
outbox's pattern: keyed, so a second call queues nothing twice), and asks the job queue to send them once the
transaction commits. Timeline events reach it through `on_case_event`, called by the one writer of timeline
entries (`cases.services.events.record_event`); bulk submissions through `emit_cases_submitted`; sanctions
and letters call `emit()` themselves with their own event type.
"""

import logging
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from cases import clock
from cases.choices import CaseStatus, EventKind, Tier, Visibility
from cases.models import (
    Case,
    CaseEvent,
    DeliveryStatus,
    ServiceRecord,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from cases.outbound import Refused, check_url
from cases.roles import ADMINISTRATOR, LIAISON, MINISTRY_WRITERS, has_role, is_ministry, liaison_platform_ids

# Who added, changed or re-keyed an endpoint: where a platform's orders go is security-relevant. Ids and field
# names only: a URL may carry the receiver's own token in its query string, and a secret is never logged.
security_log = logging.getLogger("patuh.security")

EVENT_TYPES = tuple(WebhookEventType.values)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret

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


# --- who may --------------------------------------------------------------------------------------------------


def may_manage(user, platform_id: int) -> bool:
    """A platform's liaisons and administrators manage its endpoints."""
    if has_role(user, ADMINISTRATOR):
        return True
    return has_role(user, LIAISON) and platform_id in liaison_platform_ids(user)


def may_redeliver(user, platform_id: int) -> bool:
    if is_ministry(user):
        return has_role(user, *MINISTRY_WRITERS)
    return platform_id in liaison_platform_ids(user)


def manageable_platform_ids(user) -> set[int] | None:
    """The platforms whose endpoints `user` may add: None means any (administrators)."""
    if has_role(user, ADMINISTRATOR):
        return None
    return set(liaison_platform_ids(user)) if has_role(user, LIAISON) else set()


# --- subscriptions --------------------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    import base64

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        check_url(url)
    except Refused as err:
        raise ValidationError({"url": str(err)}) from None
    return url


def clean_event_types(values) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    unknown = [v for v in values if v not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"event_types": _("Unknown event types: %(names)s. Known: %(known)s.") % {
            "names": ", ".join(str(v)[:40] for v in unknown[:5]), "known": ", ".join(EVENT_TYPES)}})
    return [t for t in EVENT_TYPES if t in values]  # one order, no repeats


def create_endpoint(*, actor, platform, url: str, event_types: Sequence[str], description: str = "",
                    is_active: bool = True) -> WebhookEndpoint:
    """A new endpoint. Its secret is on the returned object: show it once; it is never shown again."""
    if not may_manage(actor, platform.pk):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    now = clock.now()
    endpoint = WebhookEndpoint(
        platform=platform, url=clean_url(url), event_types=clean_event_types(event_types),
        description=(description or "").strip()[:200], is_active=is_active, secret=new_secret(),
        created_by=actor, created_at=now, updated_at=now,
    )
    endpoint.full_clean(exclude=["secret", "url"])
    endpoint.save()
    security_log.info("webhook endpoint %s added for platform %s by user %s", endpoint.pk, platform.pk, actor.pk)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, actor, **changes) -> WebhookEndpoint:
    """Change the URL, events, description or active flag. Re-activating a disabled endpoint clears its
    disabled state (the platform says it is fixed); deliveries cancelled meanwhile can be redelivered."""
    if not may_manage(actor, endpoint.platform_id):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    unknown = set(changes) - {"url", "event_types", "description", "is_active"}
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if "url" in changes:
            locked.url = clean_url(changes["url"])
        if "event_types" in changes:
            locked.event_types = clean_event_types(changes["event_types"])
        if "description" in changes:
            locked.description = (changes["description"] or "").strip()[:200]
        if "is_active" in changes:
            locked.is_active = bool(changes["is_active"])
            if locked.is_active and locked.disabled_at:
                locked.disabled_at, locked.disabled_reason, locked.failure_streak = None, "", 0
        locked.updated_at = clock.now()
        locked.full_clean(exclude=["secret", "url"])
        locked.save()
    security_log.info("webhook endpoint %s changed (%s) by user %s", locked.pk, ", ".join(sorted(changes)), actor.pk)
    return locked


def rotate_secret(endpoint: WebhookEndpoint, *, actor) -> WebhookEndpoint:
    """A new secret, shown once. The old one keeps signing too (a second signature in `webhook-signature`)
    for SECRET_OVERLAP_HOURS, so the receiver can switch without losing a delivery."""
    if not may_manage(actor, endpoint.platform_id):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    now = clock.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + timedelta(hours=settings.PATUH_WEBHOOKS["SECRET_OVERLAP_HOURS"])
        locked.secret = new_secret()
        locked.secret_rotated_at = locked.updated_at = now
        locked.save()
    security_log.info("webhook endpoint %s: secret rotated by user %s", locked.pk, actor.pk)
    return locked


# --- emitting -------------------------------------------------------------------------------------------------


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
        from cases.services import deliveries as sending

        counts: dict[int, int] = {}
        for endpoint, *_rest in rows:
            counts[endpoint.pk] = counts.get(endpoint.pk, 0) + 1
        for endpoint_id, n in counts.items():
            sending.wake(endpoint_id, n)
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
    """letter.issued, when a letter's PDF is produced (cases.services.letters.produce, in its transaction)."""
    data = {"letter": {"id": letter.pk, "number": letter.number, "language": letter.language,
                       "sha256": letter.sha256,
                       "url": api_url(reverse("api:letter-detail", kwargs={"pk": letter.pk}))}}
    if letter.case_id:
        data["case"] = case_ref(letter.case)
    return emit(WebhookEventType.LETTER_ISSUED, platform=letter.platform_id, key=f"letter.issued:{letter.pk}",
                data=data, case=letter.case if letter.case_id else None)


# --- proof of service -----------------------------------------------------------------------------------------


def _service_record(case: Case, *, by_webhook: bool) -> ServiceRecord:
    return ServiceRecord(case=case, cycle=case.submission_count, platform_id=case.platform_id,
                         urgent=case.tier == Tier.URGENT, submitted_at=clock.now(), by_webhook=by_webhook)


def mark_opened(case: Case, user) -> None:
    """A liaison opened the case (console page or API): the order has been seen. Ministry views do not count."""
    if case.status != CaseStatus.SUBMITTED or is_ministry(user) or not getattr(user, "is_authenticated", False):
        return
    ServiceRecord.objects.filter(case=case, cycle=case.submission_count, opened_at__isnull=True).update(
        opened_at=clock.now(), opened_by=user)


def redeliver(delivery: WebhookDelivery, *, actor) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id (the receiver may have lost it, or was down)."""
    if not may_redeliver(actor, delivery.platform_id):
        raise PermissionDenied(_("You cannot redeliver this platform's webhooks."))
    from cases.services import deliveries as sending

    endpoint = delivery.endpoint
    if endpoint.disabled_at is not None or not endpoint.is_active:
        raise ValidationError(_("The endpoint %(url)s is paused or disabled: activate it first, then redeliver.")
                              % {"url": endpoint.url})
    now = clock.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None, claim_token="",
            redelivery_requested_by=actor)
        sending.wake(delivery.endpoint_id, 1)
    delivery.refresh_from_db()
    return delivery
