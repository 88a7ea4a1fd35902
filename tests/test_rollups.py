"""The report rollups: every figure read from them equals the reference computation over the cases
(`tests/reference.py`, written from docs/reports.md), for every persona, after the demo and random transitions;
the rebuild gives the rows the services kept; concurrent transitions lose no increment; reports and dashboards
run a bounded number of queries whatever the data size."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.cases.services.cases import create_cases_bulk
from cases.cases.services.sweeper import sweep
from cases.cases.workflow import available_actions, transition
from cases.core import clock
from cases.core.choices import AWAITING_ACTION_STATUSES, ActionTaken, CaseStatus, Category, ObjectionReason
from cases.core.recorders.rollups import (
    CASE_COUNTS,
    DURATION_COUNTS,
    HISTOGRAM_COUNTS,
    OPEN_COUNTS,
    rebuild_open_rollups,
    rebuild_rollups,
)
from cases.models import Case, CaseRollup, DurationHistogram, DurationRollup, OpenRollup, PlatformMembership
from cases.reporting import reports
from cases.reporting.admin.dashboards import compliance_rows
from cases.reporting.reports import FIRST_DAY, ReportScope, last_days
from tests.concurrency import race
from tests.test_api_support import bearer_client
from tests.test_reports_reference import assert_reports_match_the_reference

ONE_MINUTE_HOURS = 1 / 60


def rollup_rows() -> dict:
    """Every rollup row that counts something: {(model, key): counts}."""
    out = {}
    for model, counted in ((CaseRollup, CASE_COUNTS), (DurationRollup, DURATION_COUNTS),
                           (DurationHistogram, HISTOGRAM_COUNTS), (OpenRollup, OPEN_COUNTS)):
        keys = [f.removesuffix("_id") for f in model.KEY_FIELDS]
        for row in model.objects.values(*keys, *counted):
            counts = tuple(row[c] for c in counted)
            if any(counts):
                out[(model.__name__, tuple(row[k] for k in keys))] = counts
    return out


def open_from_cases(user) -> list[reports.PlatformOpen]:
    """The dashboards' open orders counted from the cases themselves (what `reports.open_by_platform` reads from
    `OpenRollup`): by status, the sweeper's overdue mark and the deadline, now."""
    from django.db.models import Count, Q

    from cases.reporting.reports import DeadlineState, deadline_state_q

    now = clock.now()
    rows = (Case.objects.visible_to(user)
            .filter(status__in=[*AWAITING_ACTION_STATUSES, CaseStatus.ACTIONED, CaseStatus.OBJECTED])
            .values("platform__name", "platform__slug")
            .annotate(overdue=Count("id", filter=deadline_state_q(DeadlineState.OVERDUE, now)),
                      due_soon=Count("id", filter=deadline_state_q(DeadlineState.DUE_SOON, now)),
                      on_time=Count("id", filter=deadline_state_q(DeadlineState.ON_TIME, now)),
                      with_ministry=Count("id", filter=Q(status__in=[CaseStatus.ACTIONED, CaseStatus.OBJECTED])),
                      objected=Count("id", filter=Q(status=CaseStatus.OBJECTED)))
            .order_by("platform__name"))
    return [reports.PlatformOpen(r["platform__name"], r["overdue"], r["due_soon"], r["on_time"],
                                 r["with_ministry"], r["objected"], r["platform__slug"]) for r in rows]


def assert_open_counts_match_the_cases(users) -> None:
    for user in users:
        assert reports.open_by_platform(ReportScope(user)) == open_from_cases(user), user.username


# --- random history on top of the demo ---------------------------------------------------------------


def _data_for(action: str, case: Case, rng: random.Random) -> dict:
    if action == "report_action":
        taken = case.submitted_at + (clock.now() - case.submitted_at) * rng.random()
        return {"action_taken": rng.choice(ActionTaken.values), "action_taken_at": taken}
    if action == "object":
        return {"reason": rng.choice(ObjectionReason.values), "text": "Lawful content in our view."}
    return {}


def random_transitions(rng: random.Random, *, steps: int) -> int:
    """Apply `steps` random transitions (by whoever may), moving the clock forward a few minutes to a few
    hours each time, with a sweep now and then. Returns how many were applied."""
    User = get_user_model()
    ministry = [User.objects.get(username=u) for u in ("analyst", "supervisor")]
    liaisons = {}
    for m in PlatformMembership.objects.select_related("user"):
        liaisons.setdefault(m.platform_id, m.user)
    cases = list(Case.objects.order_by("id"))
    at = clock.now()
    done = 0
    for step in range(steps):
        at += timedelta(minutes=rng.randint(1, 240), seconds=rng.randint(0, 59), microseconds=rng.randint(0, 999_999))
        with clock.frozen(at):
            if step % 10 == 9:
                sweep(deliver=False)
                continue
            for _attempt in range(20):
                case = rng.choice(cases)
                case.refresh_from_db()
                actors = [*ministry, liaisons[case.platform_id]]
                options = [(spec.action, actor) for actor in actors for spec in available_actions(case, actor)]
                if options:
                    action, actor = rng.choice(options)
                    note = "Random step." if action in ("uphold_objection", "reject_objection", "reopen",
                                                        "withdraw") else ""
                    transition(case, action, actor=actor, note=note, **_data_for(action, case, rng))
                    done += 1
                    break
    return done


@pytest.mark.slow
@pytest.mark.django_db
def test_every_report_from_the_rollups_equals_the_reference_after_the_demo_and_random_steps():
    from cases import demo

    User = get_user_model()
    demo.load(n_cases=300)
    assert CaseRollup.objects.exists() and DurationRollup.objects.exists() and DurationHistogram.objects.exists()
    applied = random_transitions(random.Random(11), steps=120)
    assert applied > 80
    with clock.frozen(clock.now() + timedelta(days=12)):  # later than every random step
        today = last_days(1)[1]
        periods = [last_days(1), last_days(7), last_days(30), last_days(90),
                   (today - timedelta(days=400), today - timedelta(days=20)), (None, None), (FIRST_DAY, today)]
        assert_reports_match_the_reference(periods, users=[User.objects.get(username=u) for u in (
            "supervisor", "analyst", "auditor", "telegram", "facebook")])
        # The dashboards' open orders: the stored counts and the live "due within 1 h" give what counting the
        # cases gives, for every persona, now and an hour later.
        users = [User.objects.get(username=u) for u in ("supervisor", "auditor", "telegram", "facebook")]
        assert_open_counts_match_the_cases(users)
        with clock.frozen(clock.now() + timedelta(minutes=50)):
            assert_open_counts_match_the_cases(users)
        # A liaison's reports count their platform only.
        telegram = ReportScope(User.objects.get(username="telegram"))
        assert {p["platform"] for p in reports.compliance_report(telegram)["platforms"]} == {"telegram"}
        # The dashboards show the report's figures.
        for days in (30, 90):
            first, last = last_days(days)
            scope = ReportScope(User.objects.get(username="supervisor"))
            report = reports.compliance_report(scope, first=first, last=last, durations=False)["platforms"]
            assert [vars(r) for r in compliance_rows(scope, days=days)] == [
                {**{k: v for k, v in p.items() if k != "categories"}, "decided": reports.decided(p)} for p in report]
    # The set-based rebuild finds exactly the rows the services kept.
    kept = rollup_rows()
    assert any(model == "OpenRollup" for model, _key in kept)
    summary = rebuild_rollups()
    assert rollup_rows() == kept
    assert rebuild_open_rollups() == OpenRollup.objects.count()
    assert rollup_rows() == kept
    assert summary.cases == Case.objects.filter(submitted_at__isnull=False).count()


# --- the writers: each keeps the rollups right ----------------------------------------------------------


def _row(case, **lookup) -> dict:
    rows = CaseRollup.objects.filter(platform=case.platform, category=case.category, tier=case.tier, **lookup)
    return {f: sum(getattr(r, f) for r in rows) for f in CASE_COUNTS}


@pytest.mark.django_db
def test_reopening_keeps_every_fact_of_the_first_cycle_and_counts_a_second_order(make_case, analyst, liaison_a):
    start = clock.now()
    with clock.frozen(start):
        case = make_case(submit=True)
    cohort_day = timezone.localdate(start)
    with clock.frozen(start + timedelta(days=2)):  # past the deadline: overdue, then actioned late
        sweep(deliver=False)
        transition(case, "report_action", actor=liaison_a, action_taken=ActionTaken.REMOVED,
                   action_taken_at=clock.now())
    cohort = _row(case, day=cohort_day)
    assert (cohort["received"], cohort["actioned"], cohort["on_time"], cohort["missed"]) == (1, 1, 0, 1)
    assert _row(case)["late_on_day"] == 1 and _row(case)["overdue_on_day"] == 1
    with clock.frozen(start + timedelta(days=3)):
        transition(case, "reopen", actor=analyst, note="Still up.")
    cohort = _row(case, day=cohort_day)
    assert (cohort["received"], cohort["orders"], cohort["actioned"], cohort["missed"], cohort["open"]) == \
        (1, 1, 1, 1, 0)  # the first cycle keeps its late action and its miss
    reopened = _row(case, day=timezone.localdate(start + timedelta(days=3)))
    assert (reopened["received"], reopened["orders"], reopened["open"]) == (0, 1, 1)
    assert _row(case)["late_on_day"] == 1 and _row(case)["overdue_on_day"] == 1  # still in the daily series
    assert DurationRollup.objects.filter(kind=DurationRollup.ACTION, n__gt=0, minute__gte=0).count() == 1
    kept = rollup_rows()
    rebuild_rollups()
    assert rollup_rows() == kept


@pytest.mark.django_db
def test_bulk_submission_counts_every_created_case_once(analyst, platform_a, platform_b):
    items = [{"platform": platform_a if i % 2 else platform_b, "category": Category.GAMBLING,
              "location_url": f"https://t.me/bulk/{i}", "legal_basis": "UU ITE Art. 27(2)",
              "reasons": "Gambling promotion."} for i in range(10)]
    items.append(dict(items[0]))  # a duplicate within the batch: not created, not counted
    create_cases_bulk(actor=analyst, items=items, submit=True)
    assert sum(CaseRollup.objects.values_list("received", flat=True)) == 10
    assert sum(CaseRollup.objects.values_list("open", flat=True)) == 10
    kept = rollup_rows()
    rebuild_rollups()
    assert rollup_rows() == kept


@pytest.mark.django_db
def test_drafts_are_never_counted(make_case):
    make_case()
    assert not CaseRollup.objects.exists()
    assert reports.compliance_report(ReportScope(everyone=True))["total"]["received"] == 0


@pytest.mark.django_db
def test_each_persona_reads_only_the_rollup_rows_of_its_scope(make_case, analyst, supervisor, liaison_a,
                                                               liaison_b, anonymous, platform_b):
    make_case(submit=True)
    make_case(submit=True, platform=platform_b, url="https://facebook.com/some.page/1")
    totals = {who.username if who.is_authenticated else "anonymous":
              reports.compliance_report(ReportScope(who))["total"]["received"]
              for who in (analyst, supervisor, liaison_a, liaison_b, anonymous)}
    assert totals == {"analyst": 2, "supervisor": 2, "liaison_a": 1, "liaison_b": 1, "anonymous": 0}
    assert CaseRollup.objects.visible_to(liaison_b).get().platform == platform_b
    assert not CaseRollup.objects.visible_to(anonymous).exists()
    response = bearer_client(liaison_b).get("/api/v1/reports/daily/")
    assert response.status_code == 200
    assert {r["platform"] for r in response.json()} == {"facebook"}
    assert sum(r["received"] for r in response.json()) == 1


@pytest.mark.django_db
def test_the_command_rebuilds_and_says_what_it_counted(make_case):
    case = make_case(submit=True)
    CaseRollup.objects.all().delete()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert "Rebuilt the report rollups from 1 submitted cases: 1 daily rows" in out.getvalue()
    assert _row(case)["received"] == 1


# --- a bounded number of queries, whatever the data -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("n_cases", [3, 12])
def test_dashboards_and_report_endpoints_run_a_bounded_number_of_queries(
        client, make_case, analyst, liaison_a, platform_b, n_cases, django_assert_max_num_queries):
    for i in range(n_cases):
        case = make_case(submit=True, platform=platform_b if i % 3 else None, url=f"https://t.me/q/{i}",
                         category=Category.HOAX if i % 2 else Category.GAMBLING)
        if i % 2 and case.platform_id != platform_b.pk:
            transition(case, "acknowledge", actor=liaison_a)
    first30, last = last_days(30)
    api = bearer_client(analyst)
    for path, most in (
        (f"/api/v1/reports/compliance/?from={first30}&to={last}", 14),
        # all history reads the histogram: one query per grouping (plus, on PostgreSQL, its planner settings)
        (f"/api/v1/reports/compliance/?from={FIRST_DAY}&to={last}&platform=telegram&category=hoax", 16),
        (f"/api/v1/reports/compliance/?from={first30}&to={last}&format=csv", 14),
        (f"/api/v1/reports/daily/?from={last - timedelta(days=89)}&to={last}", 6),
    ):
        with django_assert_max_num_queries(most):
            assert api.get(path).status_code == 200, path
    client.force_login(analyst)
    with django_assert_max_num_queries(22):
        assert client.get(reverse("admin:index")).status_code == 200
    client.force_login(liaison_a)
    with django_assert_max_num_queries(22):
        assert client.get(reverse("platform:index")).status_code == 200


# --- concurrency (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_in_one_cohort_lose_no_increment(make_case, liaison_a):
    """Twelve liaisons' acknowledgements of twelve cases of one cohort row, all at once: each adds one."""
    cases = [make_case(submit=True, url=f"https://t.me/cohort/{i}") for i in range(12)]
    results, errors = race(*[lambda c=c: transition(c, "acknowledge", actor=liaison_a) for c in cases])
    assert errors == [] and len(results) == 12
    row = CaseRollup.objects.get()
    assert (row.received, row.acknowledged, row.open) == (12, 12, 12)
    assert sum(DurationRollup.objects.filter(kind=DurationRollup.ACK, minute__gte=0).values_list("n", flat=True)) == 12
    kept = rollup_rows()
    rebuild_rollups()
    assert rollup_rows() == kept
