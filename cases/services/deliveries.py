"""Sending webhook deliveries: claim, sign, POST through the SSRF guard, record, retry.

1. A job (`cases.tasks.deliver_webhooks`) claims a batch of one endpoint's due deliveries with a claim token
   (one UPDATE; a concurrent worker's UPDATE re-checks the row and skips it), so several workers share a
   backlog and none sends a delivery another holds.
2. Each delivery is signed by the Standard Webhooks convention (`standardwebhooks`): `webhook-id` is the
   delivery's message id, the same on every attempt; during a secret rotation it carries two signatures.
3. The POST goes through `cases.outbound` (the SSRF guard): connect and read timeouts, no redirects, at most
   MAX_RESPONSE_BYTES of the answer read.
4. The attempt is logged and the delivery updated in one transaction. A 2xx delivers it (and, for an order,
   writes "delivered to <platform>'s system" on the case's timeline, once per submission); 410 Gone disables
   the endpoint; anything else schedules the next try by RETRY_SCHEDULE with up to 20% jitter, and gives up
   after the last one.
5. A worker that dies mid-delivery leaves its claim; after CLAIM_TIMEOUT the sweeper (`housekeeping`) queues
   the delivery again, and it is sent with the same `webhook-id`.
"""

import json
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from cases import clock, outbound
from cases.choices import CaseStatus, EventKind, Visibility
from cases.jobs import enqueue_after_commit
from cases.models import (
    Case,
    DeliveryStatus,
    ServiceRecord,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

log = logging.getLogger(__name__)

BATCH = 50  # deliveries claimed at once by one job
PARALLEL_JOBS = 4  # at most this many jobs queued at once for one endpoint's new deliveries
TIME_BUDGET_SECONDS = 30  # a job hands over to a fresh one after this long, so others get a turn
EXCERPT_BYTES = 1024


def conf(name: str):
    return settings.PATUH_WEBHOOKS[name]


def wake(endpoint_id: int, n: int = 1, *, run_after: datetime | None = None) -> None:
    """Ask the queue to send the endpoint's due deliveries (after the current transaction commits)."""
    from cases.tasks import deliver_webhooks

    for _i in range(max(1, min(PARALLEL_JOBS, math.ceil(n / BATCH)))):
        enqueue_after_commit(deliver_webhooks, endpoint_id, run_after=run_after)


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=conf("CLAIM_TIMEOUT"))
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))


def claim(endpoint_id: int, *, limit: int = BATCH) -> list[WebhookDelivery]:
    now = clock.now()
    due = WebhookDelivery.objects.filter(_claimable(now), endpoint_id=endpoint_id)
    ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    token = uuid.uuid4().hex
    WebhookDelivery.objects.filter(_claimable(now), pk__in=ids).update(claimed_at=now, claim_token=token)
    return list(WebhookDelivery.objects.filter(pk__in=ids, claim_token=token).order_by("next_attempt_at", "id"))


def deliver_due(endpoint_id: int, *, time_budget: float = TIME_BUDGET_SECONDS) -> int:
    """Send what is due for one endpoint, batch by batch. Returns the number of attempts made."""
    started = time.monotonic()
    attempts = 0
    while True:
        endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if endpoint is None or not endpoint.is_active or endpoint.disabled_at is not None:
            return attempts  # paused or disabled: what is pending waits (housekeeping skips it too)
        batch = claim(endpoint_id)
        if not batch:
            return attempts
        for delivery in batch:
            attempt(endpoint, delivery)
            attempts += 1
            if endpoint.disabled_at is not None:  # 410 Gone: the rest of the batch was cancelled with it
                return attempts
        if time.monotonic() - started > time_budget:
            wake(endpoint_id)
            return attempts


def signed_headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str, now: datetime) -> dict:
    signatures = " ".join(Webhook(secret).sign(delivery.message_id, now, body)
                          for secret in endpoint.signing_secrets(now))
    return {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    now = clock.now()
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    started = time.monotonic()
    try:
        response = outbound.request(
            "POST", endpoint.url, body=body.encode(), headers=signed_headers(endpoint, delivery, body, now),
            connect_timeout=conf("CONNECT_TIMEOUT"), read_timeout=conf("READ_TIMEOUT"),
            max_bytes=conf("MAX_RESPONSE_BYTES"),
        )
    except (outbound.Refused, outbound.FetchError) as err:
        return Outcome(None, int((time.monotonic() - started) * 1000), str(err)[:500], "")
    excerpt = response.body[:EXCERPT_BYTES].decode("utf-8", "replace")
    return Outcome(response.status, response.elapsed_ms, "", excerpt)


def backoff(attempt_number: int) -> timedelta | None:
    """The wait before the next try after `attempt_number` failed tries, or None when they are used up."""
    schedule = conf("RETRY_SCHEDULE")
    if attempt_number > len(schedule):
        return None
    return timedelta(seconds=schedule[attempt_number - 1] * random.uniform(1.0, 1.2))


def attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    """One try of a claimed delivery, and its record."""
    outcome = send(endpoint, delivery)
    record(endpoint, delivery, outcome)
    return outcome


def record(endpoint: WebhookEndpoint, delivery: WebhookDelivery, outcome: Outcome) -> None:
    now = clock.now()
    number = delivery.attempts + 1
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token)
    released = {"attempts": number, "last_status_code": outcome.status_code, "claimed_at": None, "claim_token": "",
                "redelivery_requested_by": None}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, number=number, attempted_at=now, status_code=outcome.status_code,
            latency_ms=outcome.latency_ms, error=outcome.error, response_excerpt=outcome.excerpt,
            requested_by_id=delivery.redelivery_requested_by_id,
        )
        if outcome.succeeded:
            mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, last_error="",
                        **released)
            if endpoint.failure_streak or not endpoint.last_success_at or \
                    endpoint.last_success_at < now - timedelta(minutes=1):
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=0, last_success_at=now)
                endpoint.failure_streak, endpoint.last_success_at = 0, now
            if delivery.event_type == WebhookEventType.CASE_SUBMITTED and delivery.case_id:
                record_receipt(delivery, endpoint, now)
        elif outcome.status_code == 410:
            mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=_("410 Gone"), **released)
            disable(endpoint, _("The endpoint answered 410 Gone at %(time)s.") % {
                "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z")}, now=now)
        else:
            error = outcome.error or _("HTTP %(status)s") % {"status": outcome.status_code}
            wait = backoff(number)
            if wait is None:
                mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=error[:500], **released)
            else:
                updated = mine.update(next_attempt_at=now + wait, last_error=error[:500], **released)
                if updated:
                    wake(endpoint.pk, run_after=now + wait)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=F("failure_streak") + 1,
                                                                 last_failure_at=now)
            endpoint.failure_streak += 1
    delivery.attempts, delivery.last_status_code = number, outcome.status_code


def disable(endpoint: WebhookEndpoint, reason: str, *, now: datetime) -> None:
    """Stop sending to an endpoint; its pending deliveries are cancelled (each can still be redelivered)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=now, disabled_reason=reason[:300],
                                                         updated_at=now)
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None, claimed_at=None, claim_token="")
    endpoint.disabled_at, endpoint.disabled_reason = now, reason[:300]
    log.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def record_receipt(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> None:
    """The first 2xx of an order's submission: proof of service, on the case's timeline once per submission."""
    from cases.services.events import record_event

    cycle = int(delivery.key.split(":")[2])
    won = ServiceRecord.objects.filter(case_id=delivery.case_id, cycle=cycle, delivered_at__isnull=True).update(
        delivered_at=now, delivery=delivery)
    if not won:
        return
    case = Case.objects.select_related("platform").get(pk=delivery.case_id)
    record_event(
        case, EventKind.DELIVERED, actor=None, visibility=Visibility.SHARED,
        note=_("Delivered to %(platform)s's system at %(time)s.") % {
            "platform": case.platform.name, "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S %Z")},
        data={"webhook_id": delivery.message_id, "endpoint_id": endpoint.pk, "delivered_at": now.isoformat(),
              "submission": cycle},
    )


# --- the sweeper's share --------------------------------------------------------------------------------------


@dataclass
class Housekeeping:
    requeued_endpoints: int = 0
    recovered_jobs: int = 0
    fallbacks: list | None = None


def housekeeping(now: datetime | None = None) -> Housekeeping:
    """Run by the deadline sweeper every minute: queue jobs for deliveries nobody is sending (a lost job, a dead
    worker's claim, a retry a non-deferring backend dropped), recover lost jobs, and fall back to e-mail for
    urgent orders that reached nobody."""
    from cases.jobs import recover_lost_jobs

    now = now or clock.now()
    report = Housekeeping()
    grace = now - timedelta(seconds=min(30, conf("CLAIM_TIMEOUT")))
    stalled = (WebhookDelivery.objects.filter(_claimable(now), next_attempt_at__lte=grace)
               .filter(endpoint__is_active=True, endpoint__disabled_at__isnull=True)
               .values_list("endpoint_id", flat=True).distinct())
    for endpoint_id in set(stalled):
        wake(endpoint_id)
        report.requeued_endpoints += 1
    report.recovered_jobs = recover_lost_jobs()
    report.fallbacks = fall_back_to_email(now)
    return report


def fall_back_to_email(now: datetime) -> list[str]:
    """Urgent orders sent by webhook but neither delivered (2xx) nor opened by a liaison within
    URGENT_FALLBACK_MINUTES of submission: e-mail the platform again, marked undelivered, and let the
    supervisors' dashboard show it. Each submission falls back once (compare-and-swap on `fallback_at`).
    Returns the case references."""
    from cases.services import notifications

    cutoff = now - timedelta(minutes=conf("URGENT_FALLBACK_MINUTES"))
    horizon = now - timedelta(days=1)  # older unanswered orders are overdue long since: the sweeper's business
    candidates = ServiceRecord.objects.filter(
        urgent=True, by_webhook=True, delivered_at__isnull=True, opened_at__isnull=True, fallback_at__isnull=True,
        submitted_at__lte=cutoff, submitted_at__gt=horizon, case__status=CaseStatus.SUBMITTED,
    ).values_list("pk", flat=True)
    references = []
    for pk in list(candidates[:500]):
        with transaction.atomic():
            won = ServiceRecord.objects.filter(pk=pk, fallback_at__isnull=True).update(fallback_at=now)
            if not won:
                continue
            record = ServiceRecord.objects.select_related("case__platform").get(pk=pk)
            notifications.queue_undelivered(record.case)
            references.append(record.case.reference)
    return references
