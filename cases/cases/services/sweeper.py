"""The deadline sweeper: marks overdue cases, proposes the next sanction, queues and sends notices.

Meant to run every minute. Safe to run twice, or in two processes at once: each overdue case is claimed by
a compare-and-swap UPDATE, and only the process whose UPDATE won writes the event, the proposal and the
notice; notices are keyed in the outbox and claimed before sending.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from cases.core import clock
from cases.core.choices import AWAITING_ACTION_STATUSES, EventKind, Visibility
from cases.core.recorders import notifications
from cases.core.recorders.events import record_event
from cases.core.recorders.rollups import ensure_windows, record_change, snapshot
from cases.models import Case, SubmissionCycle
from cases.sanctions.services.sanctions import propose_for_overdue_case

BATCH = 500


@dataclass
class SweepReport:
    overdue: list[str] = field(default_factory=list)
    proposals: dict[str, int] = field(default_factory=dict)  # reference -> sanction id
    commitments_overdue: list[int] = field(default_factory=list)  # commitment ids marked overdue
    letters_requeued: int = 0  # letters still without their PDF, queued again
    due_soon_queued: int = 0
    sent: int = 0
    failed: int = 0
    expired_keys: int = 0
    webhooks: object = None  # cases.api.services.deliveries.Housekeeping
    rechecks: object = None  # cases.evidence.services.rechecks.PlanReport
    dry_run: bool = False
    would_send: int = 0


def _overdue_candidates(now):
    return Case.objects.filter(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=True, due_at__lte=now)


def _due_soon_candidates(now):
    horizon = now + timedelta(minutes=settings.PATUH["DUE_SOON_MINUTES"])
    return Case.objects.filter(
        status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=True, due_at__gt=now, due_at__lte=horizon
    )


def mark_overdue(case_id: int, now) -> Case | None:
    """Claim one case as overdue. Returns the case if this call won, None if another sweeper (or an action) did."""
    with transaction.atomic():
        won = _overdue_candidates(now).filter(pk=case_id).update(overdue_at=F("due_at"))
        if not won:
            return None
        case = Case.objects.select_related("platform").get(pk=case_id)
        # The current cycle keeps the missed deadline for good (a reopening opens another cycle).
        cycle = SubmissionCycle.objects.get(case_id=case.pk, number=case.submission_count)
        cycle.overdue_at = case.overdue_at
        cycle.save(update_fields=["overdue_at"])
        marked = snapshot(case, cycle)
        record_change(replace(marked, overdue_at=None), marked)  # only overdue_at changed
        record_event(
            case, EventKind.OVERDUE, actor=None, visibility=Visibility.SHARED,
            note="", data={"due_at": case.due_at.isoformat(), "detected_at": now.isoformat(),
                           "cycle": cycle.number},
        )
        sanction = propose_for_overdue_case(case)
        notifications.queue_overdue(case)
        case._proposal_id = sanction.pk
        return case


def sweep(*, dry_run: bool = False, deliver: bool = True) -> SweepReport:
    now = clock.now()
    report = SweepReport(dry_run=dry_run)
    if dry_run:
        report.overdue = list(_overdue_candidates(now).values_list("reference", flat=True))
        report.due_soon_queued = _due_soon_candidates(now).count()
        from cases.models import Notification

        report.would_send = Notification.objects.filter(sent_at__isnull=True).count()
        return report

    # 1. Overdue, in batches so a backlog never holds one long transaction.
    while True:
        ids = list(_overdue_candidates(now).order_by("due_at").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        for case_id in ids:
            case = mark_overdue(case_id, now)
            if case is not None:
                report.overdue.append(case.reference)
                report.proposals[case.reference] = case._proposal_id
        if len(ids) < BATCH:
            break

    # 1a. Commitments past their due date become overdue (one audited step each).
    from cases.commitments.services.commitments import sweep_overdue

    report.commitments_overdue = sweep_overdue()

    # 2. Deadline approaching: one notice per case and deadline (the outbox key makes repeats no-ops).
    for case in _due_soon_candidates(now).select_related("platform").iterator(chunk_size=BATCH):
        with transaction.atomic():
            report.due_soon_queued += notifications.queue_due_soon(case)

    # 3. Webhooks: queue deliveries nobody is sending, recover lost jobs, urgent orders that reached nobody fall
    # back to e-mail (before the outbox is sent, so that e-mail goes out in this run).
    from cases.api.services.deliveries import housekeeping

    report.webhooks = housekeeping(now)

    # 3a'. Letters whose PDF job failed or was lost are queued again.
    from cases.sanctions.services.letters import requeue_unproduced

    report.letters_requeued = requeue_unproduced(now)

    # 3a. Re-checks of reported locations: plan what is missing, queue jobs for what is due (issue 17).
    from cases.evidence.services import rechecks

    report.rechecks = rechecks.plan(now)
    rechecks.queue_due(now)

    # 3b. Deliver whatever is waiting in the outbox.
    if deliver:
        report.sent, report.failed = notifications.deliver_pending()

    # 4. The standard reporting windows of the new day (the last 30 and 90 days), built once, so that the first
    # report of the day does not wait for them.
    ensure_windows()

    # 5. Forget API idempotency keys past their lifetime.
    from cases.models import IdempotencyKey

    ttl = timedelta(hours=settings.PATUH["IDEMPOTENCY_TTL_HOURS"])
    report.expired_keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - ttl).delete()
    return report
