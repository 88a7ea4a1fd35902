"""Sending webhook deliveries: claim, sign, POST through the SSRF guard, record, retry.

1. A job (`cases.tasks.deliver_webhooks`) claims a batch of one endpoint's due deliveries with a claim token
   (one UPDATE; a concurrent worker's UPDATE re-checks the row and skips it), so several workers share a
   backlog and none sends a delivery another holds.
2. Each delivery is signed by the Standard Webhooks convention (`standardwebhooks`): `webhook-id` is the
   delivery's message id, the same on every attempt; during a secret rotation it carries two signatures.
3. The POST goes through `cases.core.outbound` (the SSRF guard): connect and read timeouts, no redirects, at most
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
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from cases.core import clock, display, outbound
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.core.recorders.outbox import BATCH, wake
from cases.models import (
    CaseEvent,
    DeliveryStatus,
    ServiceRecord,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

log = logging.getLogger(__name__)

TIME_BUDGET_SECONDS = 30  # a job hands over to a fresh one after this long (checked before each send)
RECORD_EVERY_SECONDS = 0.5  # attempts are written at least this often while a batch is being sent
EXCERPT_BYTES = 1024


def conf(name: str):
    return settings.PATUH_WEBHOOKS[name]


def claim_validity() -> timedelta:
    """How long a claim holds. Never less than two attempts' worth of timeouts, so a live worker keeps what it
    claimed: it re-stamps its claim before each send once a third of this has passed (`deliver_due`)."""
    return timedelta(seconds=max(conf("CLAIM_TIMEOUT"), 2 * (conf("CONNECT_TIMEOUT") + conf("READ_TIMEOUT"))))


def _claimable(now: datetime) -> Q:
    stale = now - claim_validity()
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
    """Send what is due for one endpoint, batch by batch. Returns the number of attempts made.

    The time budget is looked at before each send: a receiver that answers slowly or never holds the job for
    about the budget and one more attempt, not for a whole batch of read timeouts; the unsent rest of the batch
    is handed back unclaimed and a fresh job is queued behind the other endpoints' jobs.

    Attempts are recorded in one transaction per RECORD_EVERY seconds of sending (and at the end of each batch),
    so a fast receiver costs a few statements per batch, not per delivery. A worker killed between a send and
    its record leaves the claim behind: the delivery is sent again later, with the same webhook-id.
    """
    started = time.monotonic()
    attempts = 0
    while True:
        endpoint = WebhookEndpoint.objects.select_related("platform").filter(pk=endpoint_id).first()
        if endpoint is None or not endpoint.is_active or endpoint.disabled_at is not None:
            return attempts  # paused or disabled: what is pending waits (housekeeping skips it too)
        batch = claim(endpoint_id)
        if not batch:
            return attempts
        refresh_after = claim_validity() / 3
        done: list[tuple[WebhookDelivery, Outcome]] = []
        recorded_at = time.monotonic()
        for index, delivery in enumerate(batch):
            if time.monotonic() - started > time_budget:  # a slow or hanging receiver: hand over, keep nobody waiting
                record_many(endpoint, done)
                release(batch[index:])
                wake(endpoint_id)
                return attempts
            now = clock.now()
            if now - delivery.claimed_at > refresh_after:  # a long batch: keep the claim fresh, or skip a lost one
                record_many(endpoint, done)
                done, recorded_at = [], time.monotonic()
                kept = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(
                    claimed_at=now)
                if not kept:
                    continue
                delivery.claimed_at = now
            done.append((delivery, send(endpoint, delivery)))
            attempts += 1
            if done[-1][1].status_code == 410 or time.monotonic() - recorded_at > RECORD_EVERY_SECONDS:
                record_many(endpoint, done)
                done, recorded_at = [], time.monotonic()
                if endpoint.disabled_at is not None:  # 410 Gone: the rest of the batch was cancelled with it
                    return attempts
        record_many(endpoint, done)
        if time.monotonic() - started > time_budget:
            wake(endpoint_id)
            return attempts


def release(deliveries: list[WebhookDelivery]) -> None:
    """Give back claimed deliveries that were not sent, so the next job (any worker) may claim them at once."""
    held = [(d.pk, d.claim_token) for d in deliveries]
    for token in {t for _pk, t in held}:
        WebhookDelivery.objects.filter(pk__in=[pk for pk, t in held if t == token], claim_token=token).update(
            claimed_at=None, claim_token="")


def signed_headers(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str, now: datetime) -> dict:
    now = now.astimezone(UTC)  # standardwebhooks reads the wall-clock fields as UTC
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
    at: datetime | None = None  # when the attempt started

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    """One POST, not yet recorded."""
    now = clock.now()
    if not endpoint.signing_secrets(now):
        return Outcome(None, 0, _("The signing secret cannot be read (SECRET_KEY changed without the old one in "
                                  "SECRET_KEY_FALLBACKS): rotate the endpoint's secret."), "", now)
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    started = time.monotonic()
    try:
        response = outbound.request(
            "POST", endpoint.url, body=body.encode(), headers=signed_headers(endpoint, delivery, body, now),
            connect_timeout=conf("CONNECT_TIMEOUT"), read_timeout=conf("READ_TIMEOUT"),
            max_bytes=conf("MAX_RESPONSE_BYTES"),
        )
    except (outbound.Refused, outbound.FetchError) as err:
        return Outcome(None, int((time.monotonic() - started) * 1000), str(err)[:500], "", now)
    excerpt = response.body[:EXCERPT_BYTES].decode("utf-8", "replace")
    return Outcome(response.status, response.elapsed_ms, "", excerpt, now)


def backoff(attempt_number: int) -> timedelta | None:
    """The wait before the next try after `attempt_number` failed tries, or None when they are used up."""
    schedule = conf("RETRY_SCHEDULE")
    if attempt_number > len(schedule):
        return None
    return timedelta(seconds=schedule[attempt_number - 1] * random.uniform(1.0, 1.2))


def attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    """One try of a claimed delivery, and its record."""
    outcome = send(endpoint, delivery)
    record_many(endpoint, [(delivery, outcome)])
    return outcome


def record_many(endpoint: WebhookEndpoint, done: list[tuple[WebhookDelivery, "Outcome"]]) -> None:
    """Log the attempts and update their deliveries, in one transaction. Deliveries whose claim was taken over
    meanwhile (a worker presumed dead) get their attempt logged, and are otherwise left to the new claimant."""
    if not done:
        return
    now = clock.now()
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create([
            WebhookAttempt(delivery=d, number=d.attempts + 1, attempted_at=o.at or now, status_code=o.status_code,
                           latency_ms=o.latency_ms, error=o.error, response_excerpt=o.excerpt,
                           requested_by_id=d.redelivery_requested_by_id)
            for d, o in done
        ])
        held = set(WebhookDelivery.objects.filter(pk__in=[d.pk for d, _o in done],
                                                  claim_token__in={d.claim_token for d, _o in done})
                   .values_list("pk", "claim_token"))
        mine = [(d, o) for d, o in done if (d.pk, d.claim_token) in held]
        delivered = [(d, o) for d, o in mine if o.succeeded]
        for d, o in delivered:
            d.status, d.delivered_at, d.next_attempt_at, d.last_error = DeliveryStatus.DELIVERED, o.at or now, None, ""
        for d, o in mine:
            d.attempts, d.last_status_code = d.attempts + 1, o.status_code
            d.claimed_at, d.claim_token, d.redelivery_requested_by_id = None, "", None
        failed = [(d, o) for d, o in mine if not o.succeeded]
        for d, o in failed:
            _failed(endpoint, d, o, now)
        update_rows(WebhookDelivery, [d for d, _o in mine], ["status", "delivered_at", "next_attempt_at", "last_error",
                                                            "attempts", "last_status_code", "claimed_at",
                                                            "claim_token", "redelivery_requested_by"])
        if delivered:
            latest = max(o.at or now for _d, o in delivered)
            if endpoint.failure_streak or not endpoint.last_success_at or \
                    endpoint.last_success_at < latest - timedelta(minutes=1):
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=0, last_success_at=latest)
                endpoint.failure_streak, endpoint.last_success_at = 0, latest
            record_receipts(endpoint, [(d, o.at or now) for d, o in delivered
                                       if d.event_type == WebhookEventType.CASE_SUBMITTED and d.case_id])
        if failed:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                failure_streak=F("failure_streak") + len(failed), last_failure_at=now)
            endpoint.failure_streak += len(failed)
        if any(o.status_code == 410 for _d, o in mine):
            disable(endpoint, _("The endpoint answered 410 Gone at %(time)s.") % {
                "time": display.when(now)}, now=now)


def update_rows(model, objs, names: list[str]) -> None:
    """Write `names` of each object with one prepared UPDATE run for all rows (executemany). Django's
    bulk_update builds a CASE expression per field and row, which cost more than the sends it records."""
    if not objs:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = (f"UPDATE {quote(model._meta.db_table)} SET "  # noqa: S608 - names from the model, values bound
           + ", ".join(f"{quote(f.column)} = %s" for f in fields) + f" WHERE {quote(model._meta.pk.column)} = %s")
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _failed(endpoint: WebhookEndpoint, delivery: WebhookDelivery, outcome: "Outcome", now: datetime) -> None:
    """A failed attempt: 410 gives up (the endpoint is disabled); otherwise the next try, or give up."""
    if outcome.status_code == 410:
        delivery.status, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.FAILED, None, _("410 Gone")
        return
    error = outcome.error or _("HTTP %(status)s") % {"status": outcome.status_code}
    delivery.last_error = error[:500]
    wait = backoff(delivery.attempts)  # attempts already counts this one
    if wait is None:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + wait
        wake(endpoint.pk, run_after=delivery.next_attempt_at)


def disable(endpoint: WebhookEndpoint, reason: str, *, now: datetime) -> None:
    """Stop sending to an endpoint; its pending deliveries are cancelled (each can still be redelivered)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=now, disabled_reason=reason[:300],
                                                         updated_at=now)
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None, claimed_at=None, claim_token="")
    endpoint.disabled_at, endpoint.disabled_reason = now, reason[:300]
    log.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def record_receipts(endpoint: WebhookEndpoint, delivered: list[tuple[WebhookDelivery, datetime]]) -> None:
    """The first 2xx of each order's submission: proof of service, on the case's timeline once per submission
    (the service record's `delivered_at` is claimed by compare-and-swap first)."""
    from cases.core.recorders.bulk import insert_many
    from cases.core.recorders.events import SYSTEM_NAME

    if not delivered:
        return
    wanted = {(d.case_id, int(d.key.split(":")[2])): (d, at) for d, at in reversed(delivered)}  # first one wins
    records = (ServiceRecord.objects.select_for_update()
               .filter(case_id__in={case_id for case_id, _cycle in wanted}, delivered_at__isnull=True))
    won = []
    for record in records:
        if (record.case_id, record.cycle) in wanted:
            record.delivery, record.delivered_at = wanted[(record.case_id, record.cycle)]
            won.append(record)
    update_rows(ServiceRecord, won, ["delivery", "delivered_at"])
    events = []
    for record in won:
        delivery, at, cycle = record.delivery, record.delivered_at, record.cycle
        events.append({
            "case_id": delivery.case_id, "kind": EventKind.DELIVERED, "actor_id": None, "actor_name": SYSTEM_NAME,
            "from_status": "", "to_status": "", "visibility": Visibility.SHARED, "created_at": at,
            "note": _("Delivered to %(platform)s's system at %(time)s.") % {
                "platform": endpoint.platform.name,
                "time": display.when(at)},
            "data": {"webhook_id": delivery.message_id, "endpoint_id": endpoint.pk,
                     "delivered_at": at.isoformat(), "submission": cycle},
        })
    insert_many(CaseEvent, events)


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
    from cases.core.jobs import recover_lost_jobs

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
    prune_finished_jobs()
    report.fallbacks = fall_back_to_email(now)
    return report


def prune_finished_jobs() -> int:
    """Forget finished jobs after PATUH_JOB_RESULTS_KEEP_DAYS (the delivery log keeps what matters)."""
    from django.utils import timezone as tz
    from django_tasks_db.models import DBTaskResult

    cutoff = tz.now() - timedelta(days=settings.PATUH_JOB_RESULTS_KEEP_DAYS)
    deleted, _per_model = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def fall_back_to_email(now: datetime) -> list[str]:
    """Urgent orders sent by webhook but neither delivered (2xx) nor opened by a liaison within
    URGENT_FALLBACK_MINUTES of submission: e-mail the platform again, marked undelivered, and let the
    supervisors' dashboard show it. Each submission falls back once (compare-and-swap on `fallback_at`).
    Returns the case references."""
    from cases.core.recorders import notifications

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
