"""The notification outbox: queue with a unique key, deliver each row exactly once.

Why an outbox: a notice is queued in the same transaction as the change it announces, so it is never
lost when a mail server is down, and the unique key means two sweepers queue it once.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import clock, display
from cases.core.choices import NotificationKind
from cases.core.roles import ADMINISTRATOR, LIAISON, SUPERVISOR
from cases.models import Case, Notification, PlatformMembership

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim older than this is presumed to belong to a crashed sender and may be taken again.
STALE_CLAIM_MINUTES = 10


@dataclass(frozen=True)
class Recipient:
    key: str
    user_id: int | None
    email: str


def platform_recipients(platform) -> list[Recipient]:
    """The platform's active liaisons with an email; the platform's contact address if there are none."""
    rows = (
        PlatformMembership.objects.filter(
            platform=platform, is_active=True, user__is_active=True, user__groups__name=LIAISON
        )
        .exclude(user__email="")
        .values_list("user_id", "user__email")
        .distinct()
    )
    people = [Recipient(key=f"u{uid}", user_id=uid, email=email) for uid, email in rows]
    if not people and platform.contact_email:
        people = [Recipient(key="platform", user_id=None, email=platform.contact_email)]
    return people


def supervisor_recipients() -> list[Recipient]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[SUPERVISOR, ADMINISTRATOR])
        .exclude(email="")
        .values_list("id", "email")
        .distinct()
    )
    return [Recipient(key=f"u{uid}", user_id=uid, email=email) for uid, email in users]


def _fmt(dt) -> str:
    return display.when(dt, "-")


def queue(*, kind: str, key: str, recipients: list[Recipient], subject: str, body: str,
          case: Case | None = None, urgent: bool = False) -> int:
    """Queue one notice per recipient. Returns how many rows this call added (0 if already queued)."""
    now = clock.now()
    rows = [
        Notification(
            key=f"{key}:{r.key}"[:200], kind=kind, recipient_id=r.user_id, to_email=r.email,
            subject=subject[:300], body=body, case=case, urgent=urgent, created_at=now,
        )
        for r in recipients
    ]
    if not rows:
        return 0
    before = Notification.objects.filter(key__in=[n.key for n in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(key__in=[n.key for n in rows]).count() - before


class SubmittedNotice:
    """The new-order notice to a platform's liaisons. Texts and labels are translated once and reused."""

    def __init__(self):
        self.urgent_prefix = _("[URGENT] ")
        self.subject = _("New takedown order %(ref)s: due %(due)s")
        self.body = _(
            "A takedown order was submitted to %(platform)s.\n\nReference: %(ref)s\nCategory: %(category)s\n"
            "Tier: %(tier)s\nDue: %(due)s\n\nOpen the platform console to acknowledge it and report the action taken."
        )
        self._labels: dict[tuple[str, str], str] = {}
        self._recipients: dict[int, list[Recipient]] = {}

    def _label(self, case: Case, name: str) -> str:
        key = (name, getattr(case, name))
        if key not in self._labels:
            self._labels[key] = str(getattr(case, f"get_{name}_display")())
        return self._labels[key]

    def rows(self, case: Case) -> list[dict]:
        """One outbox row per recipient (recipients looked up once per platform)."""
        if case.platform_id not in self._recipients:
            self._recipients[case.platform_id] = platform_recipients(case.platform)
        due = _fmt(case.due_at)
        urgent = case.tier == "urgent"
        subject = (self.urgent_prefix if urgent else "") + self.subject % {"ref": case.reference, "due": due}
        body = self.body % {"platform": case.platform.name, "ref": case.reference, "due": due,
                            "category": self._label(case, "category"), "tier": self._label(case, "tier")}
        return [
            {"key": f"submitted:{case.pk}:{case.submission_count}:{r.key}"[:200],
             "kind": NotificationKind.CASE_SUBMITTED, "recipient_id": r.user_id, "to_email": r.email,
             "subject": subject[:300], "body": body, "case_id": case.pk, "urgent": urgent,
             "created_at": clock.now()}
            for r in self._recipients[case.platform_id]
        ]


def queue_case_submitted(case: Case) -> int:
    """Queue the new-order notice for one case; returns how many rows this call added."""
    rows = [Notification(**row) for row in SubmittedNotice().rows(case)]
    if not rows:
        return 0
    keys = [n.key for n in rows]
    before = Notification.objects.filter(key__in=keys).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(key__in=keys).count() - before


def queue_cases_submitted(cases) -> None:
    """The same notices for a batch of newly created cases (their keys cannot exist yet), written at once, and
    their `case.submitted` webhooks (a single submission's come with its timeline event, `record_event`)."""
    from cases.core.recorders.bulk import insert_many
    from cases.core.recorders.outbox import emit_cases_submitted

    notice = SubmittedNotice()
    insert_many(Notification, [row for case in cases for row in notice.rows(case)])
    emit_cases_submitted(cases)


def queue_due_soon(case: Case) -> int:
    """The "deadline in an hour" notice to the liaisons, and the `case.due_soon` webhook."""
    from cases.core.recorders.outbox import emit_due_soon

    emit_due_soon(case)
    subject = _("Deadline approaching for %(ref)s: due %(due)s") % {"ref": case.reference, "due": _fmt(case.due_at)}
    body = _("Case %(ref)s on %(platform)s is due at %(due)s and no action has been reported yet.") % {
        "ref": case.reference, "platform": case.platform.name, "due": _fmt(case.due_at),
    }
    return queue(
        kind=NotificationKind.DUE_SOON, key=f"due_soon:{case.pk}:{case.submission_count}:{case.due_at:%Y%m%d%H%M}",
        recipients=platform_recipients(case.platform), subject=subject, body=body, case=case,
        urgent=case.tier == "urgent",
    )


def queue_overdue(case: Case) -> int:
    subject = _("Overdue: %(ref)s on %(platform)s") % {"ref": case.reference, "platform": case.platform.name}
    body = _(
        "Case %(ref)s on %(platform)s passed its deadline (%(due)s) with no action reported. "
        "The next sanction step has been proposed for your decision."
    ) % {"ref": case.reference, "platform": case.platform.name, "due": _fmt(case.due_at)}
    return queue(
        kind=NotificationKind.OVERDUE, key=f"overdue:{case.pk}:{case.due_at:%Y%m%d%H%M}",
        recipients=supervisor_recipients(), subject=subject, body=body, case=case, urgent=True,
    )


def queue_undelivered(case: Case) -> int:
    """An urgent order nobody at the platform has received or opened in time (cases.api.services.deliveries): an
    e-mail to its liaisons and to its registered contact address, whatever its webhooks did."""
    recipients = platform_recipients(case.platform)
    if case.platform.contact_email and all(r.email != case.platform.contact_email for r in recipients):
        recipients.append(Recipient(key="platform", user_id=None, email=case.platform.contact_email))
    subject = _("[URGENT] Not yet received: takedown order %(ref)s, due %(due)s") % {
        "ref": case.reference, "due": _fmt(case.due_at)}
    body = _(
        "An urgent takedown order was submitted to %(platform)s at %(submitted)s and has neither reached your "
        "system (no webhook delivery was accepted) nor been opened by a liaison.\n\nReference: %(ref)s\n"
        "Due: %(due)s\n\nOpen the platform console now to acknowledge it and report the action taken."
    ) % {"platform": case.platform.name, "submitted": _fmt(case.submitted_at), "ref": case.reference,
         "due": _fmt(case.due_at)}
    return queue(kind=NotificationKind.UNDELIVERED, key=f"undelivered:{case.pk}:{case.submission_count}",
                 recipients=recipients, subject=subject, body=body, case=case, urgent=True)


def deliver_pending(limit: int = 500) -> tuple[int, int]:
    """Send unsent notices. Each row is claimed by compare-and-swap first, so two senders never both send it.

    Returns (sent, failed).
    """
    now = clock.now()
    stale = now - timezone.timedelta(minutes=STALE_CLAIM_MINUTES)
    candidates = list(
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("created_at", "id")
        .values_list("id", "claimed_at")[:limit]
    )
    sent = failed = 0
    for pk, claimed_at in candidates:
        won = Notification.objects.filter(pk=pk, sent_at__isnull=True, claimed_at=claimed_at).update(
            claimed_at=now, attempts=F("attempts") + 1
        )
        if not won:
            continue
        note = Notification.objects.get(pk=pk)
        try:
            send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.to_email])
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried later
            failed += 1
            Notification.objects.filter(pk=pk).update(claimed_at=None, last_error=str(exc)[:1000])
            log.warning("notification %s failed: %s", pk, type(exc).__name__)
            continue
        Notification.objects.filter(pk=pk).update(sent_at=clock.now(), last_error="")
        sent += 1
    return sent, failed

