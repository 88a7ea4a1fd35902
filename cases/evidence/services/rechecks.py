"""Re-checks: planning, limits, running, recording and acting on the verdict.

1. **Planning** (`plan`, run by the deadline sweeper every minute): for every case whose action was reported,
   one re-check per scheduled offset (per category, +1 h, +24 h, +7 days by default) and vantage point; for every
   case whose deadline is about to pass, one re-check just before it. Plans are derived from the cases' state
   and keyed (one per case, cycle, slot and vantage), so planning twice plans nothing twice and a lost job loses
   nothing. Re-checks of a cycle that has ended (reopened, withdrawn) are cancelled.
2. **Limits** (`claim`): a global concurrency cap (running re-checks, over every worker), a rate per host (each
   claim books the host's next free slots) and a circuit breaker per host (after repeated failures the host
   rests; then one probe decides). The booking happens under one lock, so two workers never book one slot.
3. **Running** (`run_one`): fetch through the SSRF guard from the re-check's vantage point, interpret it with
   the platform's interpreter, and
4. **record** it (`record_result`), in one transaction: the WARC as evidence (its SHA-256 and chain of custody,
   through `upload_evidence`), one hash-chained `rechecked` event on the case's timeline with the verdict word,
   and the re-check row.
5. **Acting**: a live verdict that contradicts the platform's reported action raises the case's "reported
   removed, still live" flag, which proposes a reopen; an analyst confirms it (`confirm_reopen`, through the
   one `transition()`) or dismisses it (`dismiss_flag`). Gone verdicts pre-fill the analyst's verification
   (`verification_note`). Nothing here decides a case by itself.
"""

import logging
import math
import random
import re
import time
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import clock, display
from cases.core.choices import AWAITING_ACTION_STATUSES, ActionTaken, CaseStatus, EventKind, EvidenceKind, Visibility
from cases.core.recorders.events import record_event
from cases.core.roles import ANALYST, MINISTRY_WRITERS, has_role
from cases.evidence.models.rechecks import CONCLUSIVE_VERDICTS
from cases.evidence.rechecks import fetching, interpreters, warc
from cases.models import (
    Case,
    FlagStatus,
    Recheck,
    RecheckHost,
    RecheckReason,
    RecheckStatus,
    StillLiveFlag,
    Verdict,
)

log = logging.getLogger(__name__)

SERVICE_ACCOUNT = "patuh-recheck"
# A claim books slots at most this far ahead: a worker waits for its slot rather than claiming work for later.
MAX_WAIT = timedelta(seconds=1)
# Re-checks one claim takes (one per host): a worker's share of the concurrency cap.
CLAIM_BATCH = 2
LOCK_KEY = zlib.crc32(b"patuh.rechecks") & 0x7FFFFFFF
# Platform reports after which the content should be unreachable from anywhere, or from Indonesia.
GONE_EVERYWHERE = (ActionTaken.REMOVED, ActionTaken.ACCOUNT_SUSPENDED, ActionTaken.ALREADY_GONE)
GONE_IN_INDONESIA = (ActionTaken.GEO_BLOCKED, ActionTaken.RESTRICTED)


def conf(name: str):
    return settings.PATUH_RECHECKS[name]


# --- locations ------------------------------------------------------------------------------------------------

HANDLE_URLS = {
    "telegram": "https://t.me/{handle}",
    "x": "https://x.com/{handle}",
    "twitter": "https://x.com/{handle}",
    "tiktok": "https://www.tiktok.com/@{handle}",
    "youtube": "https://www.youtube.com/@{handle}",
    "facebook": "https://www.facebook.com/{handle}",
}


def location_url(case: Case) -> str:
    """What to fetch for a case: its URL, or its handle's public page on a platform Patuh knows."""
    if case.location_url:
        return case.location_url
    template = HANDLE_URLS.get(case.platform.slug) if case.handle else None
    return template.format(handle=case.handle.lstrip("@")) if template else ""


def fetchable() -> Q:
    """Cases `location_url` gives a URL for (in SQL, so a planner never re-reads the ones it must skip)."""
    return ~Q(location_url="") | Q(~Q(handle=""), platform__slug__in=list(HANDLE_URLS))


def host_of(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()[:255]


def _visibility() -> str:
    return Visibility.SHARED if conf("SHARE_WITH_PLATFORM") else Visibility.INTERNAL


def _new(case: Case, *, reason: str, slot: str, vantage: str, due_at: datetime, url: str,
         requested_by=None) -> Recheck:
    actioned = case.status in (CaseStatus.ACTIONED, CaseStatus.VERIFIED)
    return Recheck(
        case=case, platform_id=case.platform_id, cycle=case.submission_count, reason=reason, slot=slot,
        vantage=vantage, url=url[:2048], host=host_of(url), due_at=due_at, created_at=clock.now(),
        action_taken=case.action_taken if actioned else "", action_reported_at=case.actioned_at if actioned else None,
        visibility=_visibility(), requested_by=requested_by,
    )


# --- 1. planning ----------------------------------------------------------------------------------------------


def _offset_label(seconds: int) -> str:
    if seconds % 86400 == 0 and seconds > 86400:
        return f"+{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"+{seconds // 3600}h"
    return f"+{seconds // 60}m"


def schedule_for(category: str) -> list[int]:
    schedule = conf("SCHEDULE")
    return schedule.get(category, schedule["default"])


@dataclass
class PlanReport:
    planned: int = 0
    cancelled: int = 0


def plan(now: datetime | None = None, *, batch: int = 500) -> PlanReport:
    """Plan the scheduled and pre-deadline re-checks that are missing, and cancel those whose cycle ended."""
    now = now or clock.now()
    report = PlanReport()
    if not conf("ENABLED"):
        return report
    names = [v.name for v in fetching.vantages()]
    jitter = max(0.0, conf("JITTER"))
    longest = max(max(offsets) for offsets in conf("SCHEDULE").values())
    # After the action: cases reported within the longest offset, with no plan for this cycle yet.
    planned = Recheck.objects.filter(case=OuterRef("pk"), cycle=OuterRef("submission_count"),
                                     reason=RecheckReason.AFTER_ACTION)
    actioned = (Case.objects.filter(status__in=(CaseStatus.ACTIONED, CaseStatus.VERIFIED),
                                    actioned_at__gte=now - timedelta(seconds=longest))
                .filter(fetchable()).exclude(Exists(planned)).select_related("platform").order_by("actioned_at")[:batch])
    rows = []
    for case in actioned:
        url = location_url(case)
        if not url:
            continue
        for offset in schedule_for(case.category):
            due = case.actioned_at + timedelta(seconds=offset * (1 + random.uniform(0, jitter)))
            rows += [_new(case, reason=RecheckReason.AFTER_ACTION, slot=_offset_label(offset), vantage=name,
                          due_at=due, url=url) for name in names]
    # Before the deadline: cases whose deadline falls within PRE_DEADLINE_MINUTES, once per deadline.
    window = timedelta(minutes=conf("PRE_DEADLINE_MINUTES"))
    if window:
        pre = Recheck.objects.filter(case=OuterRef("pk"), cycle=OuterRef("submission_count"),
                                     reason=RecheckReason.PRE_DEADLINE, due_at__gte=OuterRef("due_at") - window)
        closing = (Case.objects.filter(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=True,
                                       due_at__gt=now, due_at__lte=now + window)
                   .filter(fetchable()).exclude(Exists(pre)).select_related("platform")[:batch])
        for case in closing:
            url = location_url(case)
            if url:
                slot = "deadline " + timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
                rows += [_new(case, reason=RecheckReason.PRE_DEADLINE, slot=slot, vantage=name,
                              due_at=max(now, case.due_at - window), url=url) for name in names]
    if rows:
        before = Recheck.objects.count()
        Recheck.objects.bulk_create(rows, ignore_conflicts=True)
        report.planned = Recheck.objects.count() - before
    report.cancelled = cancel_ended(now)
    return report


def cancel_ended(now: datetime) -> int:
    """Cancel pending re-checks that no longer make sense, each with its reason."""
    pending = Recheck.objects.pending()
    moved_on = pending.exclude(reason=RecheckReason.ON_DEMAND).filter(
        ~Q(case__submission_count=F("cycle")) | Q(case__status=CaseStatus.WITHDRAWN))
    count = moved_on.update(status=RecheckStatus.CANCELLED, note=_("The case was reopened or withdrawn."))
    acted = pending.filter(reason=RecheckReason.PRE_DEADLINE).exclude(case__status__in=AWAITING_ACTION_STATUSES)
    count += acted.update(status=RecheckStatus.CANCELLED, note=_("The platform acted before the deadline."))
    expired = pending.filter(due_at__lt=now - timedelta(hours=conf("EXPIRE_HOURS")))
    count += expired.update(status=RecheckStatus.CANCELLED,
                            note=_("Not run within %(h)s hours of its time (the host was unavailable).")
                            % {"h": conf("EXPIRE_HOURS")})
    return count


def request_recheck(case: Case, *, actor, queue: bool = True) -> list[Recheck]:
    """An analyst's "re-check now": one re-check per vantage point, due at once, and a job to run them.

    actor None: the operator's command (`recheck_locations --case`), which runs them itself (`queue=False`).
    """
    if actor is not None and not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only ministry analysts, supervisors and administrators may request a re-check."))
    url = location_url(case)
    if not url:
        raise ValidationError(_("Case %(ref)s has no URL that Patuh can fetch.") % {"ref": case.reference})
    try:
        from cases.core.outbound import Refused, check_url

        check_url(url, schemes=("https", "http"))
    except Refused as err:
        raise ValidationError(_("Patuh will not fetch %(url)s: %(why)s") % {"url": url, "why": err}) from None
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("platform").get(pk=case.pk)
        if Recheck.objects.filter(case=case, reason=RecheckReason.ON_DEMAND,
                                  status__in=(RecheckStatus.PENDING, RecheckStatus.RUNNING)).exists():
            raise ValidationError(_("A re-check of %(ref)s is already waiting to run.") % {"ref": case.reference})
        now = clock.now()
        slot = "on demand " + timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S")
        rows = [_new(case, reason=RecheckReason.ON_DEMAND, slot=slot, vantage=v.name, due_at=now, url=url,
                     requested_by=actor) for v in fetching.vantages()]
        Recheck.objects.bulk_create(rows)
        if queue:
            queue_jobs(len(rows))
    return list(Recheck.objects.filter(case=case, slot=slot, reason=RecheckReason.ON_DEMAND))


# --- 2. limits ------------------------------------------------------------------------------------------------


def host_rate(host: str) -> float:
    rates = conf("HOST_RATES")
    return max(0.01, rates.get(host, rates.get(host.removeprefix("www."), conf("HOST_RATE"))))


def _lock() -> None:
    """Serialise claims (PostgreSQL: an advisory lock until commit; SQLite: the write lock each transaction takes
    when it begins)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _due(now: datetime) -> Q:
    stale = now - timedelta(seconds=conf("CLAIM_TIMEOUT"))
    return Q(status=RecheckStatus.PENDING, due_at__lte=now) | Q(status=RecheckStatus.RUNNING, claimed_at__lt=stale)


def claim(*, now: datetime | None = None, case_id: int | None = None, batch: int = CLAIM_BATCH) -> list[Recheck]:
    """Claim due re-checks within the limits: free concurrency, hosts that are not resting, closed circuits.

    At most `batch` at a time, one per host per claim, so the concurrency cap is shared among the workers rather
    than taken by the first, and one busy host never fills a batch; a host gets no more re-checks in flight than
    its rate serves within MAX_WAIT. The host's slot itself is booked when the fetch starts (`reserve_slot`).
    """
    now = now or clock.now()
    stale = now - timedelta(seconds=conf("CLAIM_TIMEOUT"))
    horizon = now + MAX_WAIT
    token = uuid.uuid4().hex
    claimed: list[Recheck] = []
    with transaction.atomic():
        _lock()
        running = Recheck.objects.filter(status=RecheckStatus.RUNNING, claimed_at__gte=stale)
        free = min(batch, conf("MAX_CONCURRENCY") - running.count())
        if free <= 0:
            return []
        due = Recheck.objects.filter(_due(now))
        if case_id is not None:
            due = due.filter(case_id=case_id)
        # The earliest due re-checks of hosts that can take a request now (the hosts' table is small; the due
        # re-checks are read in due order from their index, never grouped whole: a backlog of one host does not
        # make every claim scan it, nor hide the other hosts behind it).
        resting = RecheckHost.objects.filter(Q(next_slot_at__gt=horizon) | Q(open_until__gt=now))
        names = list(dict.fromkeys(due.exclude(host__in=resting.values("host")).order_by("due_at", "id")
                                   .values_list("host", flat=True)[: free * 25]))
        if not names:
            return []
        known = {h.host: h for h in RecheckHost.objects.filter(host__in=names)}
        in_flight = dict(running.filter(host__in=names).values("host").annotate(n=Count("id")).values_list("host", "n"))
        for name in names:
            if len(claimed) >= free:
                break
            host = known.get(name)
            if host is None:
                host, _created = RecheckHost.objects.get_or_create(host=name)
            probing = host.open_until is not None  # its rest is over: one probe decides
            allowed = 1 if probing else max(1, math.ceil(host_rate(name) * MAX_WAIT.total_seconds()))
            if in_flight.get(name, 0) >= allowed:
                continue
            recheck = due.filter(host=name).order_by("due_at", "id").first()
            if recheck is None:
                continue
            recheck.status, recheck.claimed_at, recheck.claim_token = RecheckStatus.RUNNING, now, token
            claimed.append(recheck)
            if probing:
                host.open_until, host.probing = now + timedelta(seconds=conf("CLAIM_TIMEOUT")), True
                host.save(update_fields=["open_until", "probing"])
        if claimed:
            Recheck.objects.bulk_update(claimed, ["status", "claimed_at", "claim_token"])
    return claimed


def reserve_slot(host_name: str) -> datetime | None:
    """Book the host's next free slot for a fetch about to start, or None when the host may not be asked now (its
    circuit opened meanwhile, or its next slot is too far off: a 429's Retry-After).

    Booking when the fetch starts, not when it is claimed, keeps requests spaced by the rate even when a worker
    runs late: a late worker books a later slot instead of firing into the next one's.
    """
    RecheckHost.objects.get_or_create(host=host_name)
    with transaction.atomic():
        host = RecheckHost.objects.select_for_update().get(host=host_name)
        now = clock.now()
        if host.open_until is not None and host.open_until > now and not host.probing:
            return None
        slot = max(now, host.next_slot_at)
        if slot - now > 3 * MAX_WAIT:
            return None
        host.next_slot_at = slot + timedelta(seconds=1 / host_rate(host_name))
        host.save(update_fields=["next_slot_at"])
    return slot


def _host_outcome(host_name: str, fetch: interpreters.Fetch, now: datetime) -> None:
    """Feed the circuit breaker and honour a 429's Retry-After. Failures: no answer, 5xx, 429."""
    final = fetch.final
    failed = fetch.failure in ("timeout", "network") or (final is not None and (final.status == 429
                                                                                 or final.status >= 500))
    host, _created = RecheckHost.objects.select_for_update().get_or_create(host=host_name)
    if failed:
        host.failures += 1
        host.last_failure_at = now
        host.last_error = (fetch.error or f"HTTP {final.status}")[:300]
        if final is not None and final.status == 429:
            retry = interpreters._header(final, "retry-after").strip()
            # ASCII digits only: "¹" passes str.isdigit() and int() refuses it, as it refuses 5,000 digits.
            wait = int(retry) if re.fullmatch(r"[0-9]{1,9}", retry) else 60
            host.next_slot_at = max(host.next_slot_at, now + timedelta(seconds=min(wait, 3600)))
        if host.failures >= conf("BREAKER_FAILURES") or host.open_until is not None:
            cooldown = min(3600, conf("BREAKER_COOLDOWN") * 2 ** host.times_opened)
            host.open_until = now + timedelta(seconds=cooldown)
            host.times_opened += 1
            host.failures, host.probing = 0, False
            log.warning("re-checks of %s paused for %s s: %s", host_name, cooldown, host.last_error)
    else:
        host.failures, host.times_opened, host.open_until, host.last_success_at = 0, 0, None, now
        host.probing = False
    host.save()


# --- 3. running -----------------------------------------------------------------------------------------------


def run_one(recheck: Recheck) -> Recheck | None:
    """Fetch, interpret and record one claimed re-check. Books its host's slot and waits for it first.

    Returns None, and hands the re-check back, if the host may not be asked now (its circuit opened since the
    claim, e.g. an earlier re-check of the batch failed once too often; or a 429 pushed its next slot away).
    """
    slot = reserve_slot(recheck.host)
    if slot is None:
        Recheck.objects.filter(pk=recheck.pk, claim_token=recheck.claim_token).update(
            status=RecheckStatus.PENDING, claimed_at=None, claim_token="")
        return None
    wait = (slot - clock.now()).total_seconds()
    if wait > 0:
        time.sleep(wait)
    Recheck.objects.filter(pk=recheck.pk).update(start_after=slot)
    case = Case.objects.select_related("platform").get(pk=recheck.case_id)
    where = fetching.vantage(recheck.vantage)
    if where is None:
        Recheck.objects.filter(pk=recheck.pk, claim_token=recheck.claim_token).update(
            status=RecheckStatus.CANCELLED, note=_("Vantage point %(v)s is no longer configured.") % {
                "v": recheck.vantage})
        return recheck
    interpreter = interpreters.for_location(recheck.url, case.platform.slug)
    fetched = fetching.fetch(interpreter.fetch_url(recheck.url), where)
    reading = interpreter.interpret(fetched)
    return record_result(recheck, case, fetched, reading, interpreter=interpreter, vantage=where)


def run_due(*, time_budget: float = 50.0, limit: int | None = None, case_id: int | None = None,
            on_result=None) -> int:
    """Claim and run due re-checks until none is claimable, the time budget is spent or `limit` ran.

    `case_id`: only that case's. `on_result(recheck)`: called after each one (the command prints it).
    """
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < time_budget and (limit is None or done < limit):
        batch = claim(case_id=case_id)
        if not batch:
            if not _waiting_on_limits(case_id):
                break
            time.sleep(0.2)
            continue
        for recheck in batch:
            try:
                result = run_one(recheck)
                if result is None:
                    continue  # its host's circuit opened meanwhile: handed back
                if on_result is not None:
                    on_result(result)
            except Exception:  # a bug or the database: release the claim, keep going with the others
                log.exception("re-check %s failed", recheck.pk)
                Recheck.objects.filter(pk=recheck.pk, claim_token=recheck.claim_token).update(
                    status=RecheckStatus.PENDING, claimed_at=None, claim_token="",
                    due_at=clock.now() + timedelta(minutes=5))
            done += 1
    return done


def _waiting_on_limits(case_id: int | None = None) -> bool:
    """Due re-checks exist whose hosts are only rate-limited or whose turn waits on the concurrency cap."""
    now = clock.now()
    blocked = RecheckHost.objects.filter(open_until__gt=now).values_list("host", flat=True)
    due = Recheck.objects.filter(_due(now)).exclude(host__in=blocked)
    return (due.filter(case_id=case_id) if case_id is not None else due).exists()


def queue_jobs(due: int = 1) -> int:
    """Ask the job queue for workers: as many jobs as the concurrency cap allows, minus those already waiting."""
    from cases.core.jobs import enqueue_after_commit
    from cases.evidence.rechecks.tasks import run_rechecks

    wanted = min(conf("MAX_CONCURRENCY"), max(1, due))
    waiting = _jobs_waiting(run_rechecks)
    for _n in range(max(0, wanted - waiting)):
        enqueue_after_commit(run_rechecks)
    return max(0, wanted - waiting)


def _jobs_waiting(task) -> int:
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task.get_backend(), DatabaseBackend):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).count()


def queue_due(now: datetime | None = None) -> int:
    """The sweeper's share: queue jobs when re-checks are due."""
    now = now or clock.now()
    due = Recheck.objects.filter(_due(now)).count()
    return queue_jobs(due) if due else 0


# --- 4. recording ---------------------------------------------------------------------------------------------


def service_account():
    """The account re-check evidence is captured under: an analyst that cannot log in (no password, not staff)."""
    User = get_user_model()
    user = User.objects.filter(username=SERVICE_ACCOUNT).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=SERVICE_ACCOUNT, first_name="Patuh", last_name="re-check",
                                                is_staff=False)
                user.set_unusable_password()
                user.save(update_fields=["password"])
                group, _created = Group.objects.get_or_create(name=ANALYST)
                user.groups.add(group)
        except IntegrityError:
            user = User.objects.get(username=SERVICE_ACCOUNT)
    return user


def contradicts(action_taken: str, verdict: str, country: str) -> bool:
    """Live where the platform's reported action should have made the content unreachable."""
    if verdict != Verdict.LIVE or not action_taken:
        return False
    if action_taken in GONE_EVERYWHERE:
        return True
    return action_taken in GONE_IN_INDONESIA and country == "ID"


_url_ok = URLValidator(schemes=["http", "https"])


def _source_url(url: str) -> str:
    try:
        _url_ok(url)
    except ValidationError:
        return ""
    return url if len(url) <= 2048 else ""


def record_result(recheck: Recheck, case: Case, fetched: interpreters.Fetch, reading: interpreters.Reading, *,
                  interpreter, vantage: fetching.Vantage) -> Recheck:
    """Store the re-check as evidence, write its timeline event and act on it, in one transaction."""
    now = clock.now()
    metadata = {
        "case": case.reference, "recheck_id": recheck.pk, "slot": recheck.slot, "reason": recheck.reason,
        "vantage": vantage.name, "vantage_country": vantage.country, "via_proxy": bool(vantage.proxy),
        "interpreter": interpreter.name, "location": recheck.url, "fetched_url": fetched.url,
        "checked_at": now.isoformat(), "user_agent": fetching.user_agent(),
    }
    keep_body = case.category not in conf("BODYLESS_CATEGORIES")
    data = warc.build(fetched, reading, metadata=metadata, keep_body=keep_body)
    name = f"{case.reference}-recheck-{recheck.pk}.warc.gz"
    verdict_word = str(Verdict(reading.verdict).label)
    stored = ""  # a file this re-check added to the store: removed again if its transaction does not commit
    try:
        with transaction.atomic():
            locked = Recheck.objects.select_for_update().filter(pk=recheck.pk, claim_token=recheck.claim_token,
                                                                status=RecheckStatus.RUNNING).first()
            if locked is None:
                return recheck  # its claim went stale and another worker ran it
            evidence = upload_recheck_evidence(case, locked, data, name=name, now=now,
                                               description=_("Re-check from %(vantage)s: %(verdict)s.") % {
                                                   "vantage": vantage.name, "verdict": verdict_word})
            stored = evidence.file.name if evidence.first_copy_id is None else ""
            _record(case, locked, evidence, fetched, reading, interpreter=interpreter, vantage=vantage, now=now,
                    verdict_word=verdict_word)
    except BaseException:
        if stored:
            from cases.core.storage import evidence_storage

            evidence_storage().delete(stored)
        raise
    return locked


def _record(case: Case, locked: Recheck, evidence, fetched: interpreters.Fetch, reading: interpreters.Reading, *,
            interpreter, vantage: fetching.Vantage, now: datetime, verdict_word: str) -> None:
    """The timeline event, the re-check row, the flag and the host's outcome: `record_result`'s transaction."""
    final = fetched.final
    against = contradicts(locked.action_taken, reading.verdict, vantage.country) and locked.reason != \
        RecheckReason.PRE_DEADLINE
    event = record_event(
        case, EventKind.RECHECKED, actor=None, visibility=locked.visibility,
        note=_("Re-check from %(vantage)s: %(verdict)s. %(finding)s") % {
            "vantage": vantage.description, "verdict": verdict_word, "finding": reading.finding},
        data={"recheck_id": locked.pk, "verdict": reading.verdict, "vantage": vantage.name,
              "vantage_country": vantage.country, "slot": locked.slot, "reason": locked.reason,
              "url": locked.url, "fetched_url": fetched.url, "http_status": final.status if final else None,
              "interpreter": interpreter.name, "finding": str(reading.finding), "elapsed_ms": fetched.elapsed_ms,
              "evidence_id": evidence.pk, "sha256": evidence.sha256, "contradicts_reported_action": against},
    )
    locked.status, locked.checked_at, locked.verdict = RecheckStatus.DONE, now, reading.verdict
    locked.interpreter, locked.http_status = interpreter.name, final.status if final else None
    locked.finding, locked.elapsed_ms = str(reading.finding)[:5000], fetched.elapsed_ms
    locked.contradicts, locked.evidence, locked.event = against, evidence, event
    locked.claim_token = ""
    locked.save()
    if against:
        raise_flag(case, locked)
    _host_outcome(locked.host, fetched, now)


def upload_recheck_evidence(case: Case, recheck: Recheck, data: bytes, *, name: str, now: datetime,
                            description: str):
    from cases.evidence.services.evidence import upload_evidence

    return upload_evidence(
        case=case, actor=service_account(), file=ContentFile(data, name=name), kind=EvidenceKind.PAGE_ARCHIVE,
        visibility=recheck.visibility, captured_at=now, source_url=_source_url(recheck.url), description=description,
        request_meta={"user_agent": fetching.user_agent()},
    )


# --- 5. acting ------------------------------------------------------------------------------------------------


def raise_flag(case: Case, recheck: Recheck) -> StillLiveFlag | None:
    """"Reported removed, still live": one flag per cycle, while the case is actioned or verified."""
    fresh = Case.objects.get(pk=case.pk)
    if fresh.status not in (CaseStatus.ACTIONED, CaseStatus.VERIFIED) or fresh.submission_count != recheck.cycle:
        return None
    if StillLiveFlag.objects.filter(case=case, cycle=recheck.cycle).exists():
        return None
    with transaction.atomic():
        flag = StillLiveFlag.objects.create(case=case, cycle=recheck.cycle, recheck=recheck, raised_at=clock.now())
        proposal = (_("A reopen is proposed for an analyst to confirm.") if fresh.status == CaseStatus.ACTIONED
                    else _("The case is already verified: open a new case if the content must go."))
        record_event(
            case, EventKind.RECHECK_FLAGGED, actor=None, visibility=Visibility.INTERNAL,
            note=_("Reported as %(action)s, but still live from %(vantage)s. %(proposal)s") % {
                "action": ActionTaken(recheck.action_taken).label.lower(), "vantage": recheck.vantage,
                "proposal": proposal},
            data={"flag_id": flag.pk, "recheck_id": recheck.pk, "evidence_id": recheck.evidence_id},
        )
    return flag


def open_flag(case: Case) -> StillLiveFlag | None:
    return StillLiveFlag.objects.open().filter(case=case).select_related("recheck").first()


def confirm_reopen(case: Case, *, actor, note: str = "") -> Case:
    """The analyst confirms the proposed reopen: `transition(case, "reopen")`, and the flag is marked confirmed."""
    from cases.cases.workflow import TransitionError, transition

    flag = open_flag(case)
    if flag is None:
        raise TransitionError(_("Case %(ref)s has no open still-live flag.") % {"ref": case.reference},
                              code="state")
    note = (note or "").strip() or reopen_note(flag)
    with transaction.atomic():
        case = transition(case, "reopen", actor=actor, note=note)
        updated = StillLiveFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
            status=FlagStatus.CONFIRMED, decided_by=actor, decided_at=clock.now(), decision_note=note)
        if not updated:
            raise TransitionError(_("Someone decided this flag meanwhile."), code="stale")
    return case


def dismiss_flag(case: Case, *, actor, note: str) -> StillLiveFlag:
    """The analyst judges the live verdict wrong (e.g. the page shows something else): the flag is dismissed."""
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only ministry analysts, supervisors and administrators may decide this."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the re-check's live verdict is wrong.")})
    flag = open_flag(case)
    if flag is None:
        raise ValidationError(_("Case %(ref)s has no open still-live flag.") % {"ref": case.reference})
    with transaction.atomic():
        updated = StillLiveFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
            status=FlagStatus.DISMISSED, decided_by=actor, decided_at=clock.now(), decision_note=note)
        if not updated:
            raise ValidationError(_("Someone decided this flag meanwhile."))
        record_event(case, EventKind.RECHECK_FLAG_DISMISSED, actor=actor, visibility=Visibility.INTERNAL, note=note,
                     data={"flag_id": flag.pk, "recheck_id": flag.recheck_id})
    flag.refresh_from_db()
    return flag


def _when(value: datetime) -> str:
    return display.when(value)


def reopen_note(flag: StillLiveFlag) -> str:
    recheck = flag.recheck
    return _("Still live after the reported action: re-check of %(when)s from %(vantage)s, %(finding)s "
             "(evidence #%(evidence)s, SHA-256 %(sha)s).") % {
        "when": _when(recheck.checked_at), "vantage": recheck.vantage, "finding": recheck.finding,
        "evidence": recheck.evidence_id, "sha": recheck.evidence.sha256[:16] if recheck.evidence_id else "-"}


def latest_results(case: Case) -> list[Recheck]:
    """The newest finished re-check per vantage point in the case's current cycle."""
    rows = (Recheck.objects.filter(case=case, cycle=case.submission_count, status=RecheckStatus.DONE)
            .select_related("evidence").order_by("vantage", "-checked_at", "-id"))
    latest: dict[str, Recheck] = {}
    for row in rows:
        latest.setdefault(row.vantage, row)
    return list(latest.values())


def verification_note(case: Case) -> str:
    """The analyst's verification, pre-filled when every vantage's newest re-check after the action report
    found the content gone (or restricted, where the platform reported a restriction). Empty otherwise."""
    if case.status != CaseStatus.ACTIONED or case.actioned_at is None:
        return ""
    results = [r for r in latest_results(case) if r.checked_at and r.checked_at >= case.actioned_at]
    # Every vantage point answered, none contradicts the reported action, and one found it gone or restricted
    # (a geo-block seen from Indonesia, the content live abroad: as reported).
    if not results or any(r.verdict not in CONCLUSIVE_VERDICTS or r.contradicts for r in results) or \
            not any(r.verdict in (Verdict.GONE, Verdict.RESTRICTED) for r in results):
        return ""
    lines = [_("Patuh's re-checks found the content %(verdicts)s:") % {
        "verdicts": ", ".join(sorted({str(Verdict(r.verdict).label) for r in results}))}]
    for r in results:
        lines.append(_("- %(when)s from %(vantage)s: %(verdict)s, %(finding)s (evidence #%(evidence)s, SHA-256 "
                       "%(sha)s…)") % {"when": _when(r.checked_at), "vantage": r.vantage,
                                       "verdict": Verdict(r.verdict).label, "finding": r.finding,
                                       "evidence": r.evidence_id,
                                       "sha": r.evidence.sha256[:16] if r.evidence_id else "-"})
    return "\n".join(lines)


def prefill_note(case: Case, action: str) -> str:
    """The note a verification or a reopen form starts with: what Patuh's re-checks found."""
    if action == "verify":
        return verification_note(case)
    flag = open_flag(case) if action == "reopen" else None
    return reopen_note(flag) if flag else ""


# --- 6. the figure --------------------------------------------------------------------------------------------


def still_live_share(rechecks, *, first: date | None = None, last: date | None = None) -> list[dict]:
    """Per platform: the reported actions (case and submission cycle) whose action was reported on the Jakarta
    days [first, last] and that scheduled re-checks reached with a conclusive verdict, and how many of them were
    found still live against the reported action (not counting flags an analyst dismissed). docs/reports.md
    defines it. `rechecks`: a scoped Recheck queryset."""
    from cases.reporting.reports import day_bounds

    start, end = day_bounds(first, last)
    rows = rechecks.filter(status=RecheckStatus.DONE, reason=RecheckReason.AFTER_ACTION,
                           verdict__in=CONCLUSIVE_VERDICTS, action_reported_at__isnull=False)
    if start is not None:
        rows = rows.filter(action_reported_at__gte=start)
    if end is not None:
        rows = rows.filter(action_reported_at__lt=end)
    dismissed = StillLiveFlag.objects.filter(case=OuterRef("case"), cycle=OuterRef("cycle"),
                                             status=FlagStatus.DISMISSED)
    rows = rows.annotate(dismissed=Exists(dismissed)).values_list(
        "platform_id", "platform__name", "platform__slug", "case_id", "cycle", "contradicts", "dismissed")
    actions: dict[tuple, bool] = {}
    names: dict[int, tuple[str, str]] = {}
    for platform_id, name, slug, case_id, cycle, against, was_dismissed in rows.iterator(chunk_size=5000):
        key = (platform_id, case_id, cycle)
        names[platform_id] = (name, slug)
        actions[key] = actions.get(key, False) or (against and not was_dismissed)
    per_platform: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (platform_id, _case, _cycle), live in actions.items():
        per_platform[platform_id][0] += 1
        per_platform[platform_id][1] += int(live)
    return [{"platform": names[pid][1], "platform_name": names[pid][0], "checked_actions": checked,
             "found_live": live, "still_live_share": round(live / checked, 4) if checked else None}
            for pid, (checked, live) in sorted(per_platform.items(), key=lambda kv: names[kv[0]][0])]
