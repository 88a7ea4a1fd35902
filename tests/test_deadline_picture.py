"""One deadline picture (issue 13, item 3): `cases.reporting.reports.deadline_picture` is where a case stands against
its deadline, and every screen shows that: the lists' column and badges, the case page's header in both consoles, the
dashboards' overdue list, the API's `deadline_state`, a sanction's grounds. Its state is the lists' `deadline_state`
filter (SQL) row by row; a rejected objection's new deadline and an earlier missed one are shown apart; the
"late" mark stands on late cases only.

Time is controlled with time-machine; nothing here sleeps.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Category
from cases.core.filtersets import CaseFilterSet
from cases.models import Case
from cases.reporting.reports import DeadlineState, deadline_picture
from cases.sanctions.services.sanctions import how_late
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta; a terrorism case is urgent: due in 4 h
DUE = T0 + timedelta(hours=4)
H = timedelta(hours=1)


@pytest.fixture
def traveller():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def shown(moment: datetime) -> str:
    """A time as the pages show it (Jakarta, the language's one format: cases.core.display.when)."""
    from cases.core.display import when

    return when(moment)


def sql_state(case: Case, user) -> str:
    """The state the lists' FilterSet gives the case: the one `deadline_state` value whose filter keeps it, or ""."""
    request = RequestFactory().get("/")
    request.user = user
    states = [s for s, _label in DeadlineState.CHOICES
              if CaseFilterSet({"deadline_state": s}, queryset=Case.objects.all(), request=request)
              .qs.filter(pk=case.pk).exists()]
    assert len(states) <= 1, states
    return states[0] if states else ""


# --- the table: each row builds one case and says what its picture is --------------------------------------


def _urgent(make_case):
    return make_case(category=Category.TERRORISM, submit=True)


def draft(t, make_case, liaison, supervisor):
    return make_case(category=Category.TERRORISM)


def _waited(hours: float):
    """A builder: an urgent case sent at T0, looked at `hours` later (no sweep)."""

    def build(t, make_case, liaison, supervisor):
        case = _urgent(make_case)
        t.shift(hours * H)
        return case

    return build


before_due, an_hour_left, within_the_hour = _waited(1), _waited(3), _waited(3.5)
at_due, passed_not_yet_swept = _waited(4), _waited(4.5)


def overdue(t, make_case, liaison, supervisor):
    case = _urgent(make_case)
    t.shift(5 * H)
    sweep()
    case.refresh_from_db()
    return case


def actioned_on_time(t, make_case, liaison, supervisor):
    case = _urgent(make_case)
    t.shift(H)
    transition(case, "report_action", actor=liaison, action_taken="removed", action_taken_at=clock.now())
    return case


def actioned_late(t, make_case, liaison, supervisor):
    case = overdue(t, make_case, liaison, supervisor)
    t.shift(H)
    transition(case, "report_action", actor=liaison, action_taken="removed", action_taken_at=clock.now())
    return case


def actioned_late_unswept(t, make_case, liaison, supervisor):
    case = passed_not_yet_swept(t, make_case, liaison, supervisor)
    transition(case, "report_action", actor=liaison, action_taken="removed", action_taken_at=clock.now())
    return case


def objected(t, make_case, liaison, supervisor):
    case = _urgent(make_case)
    t.shift(H)
    transition(case, "object", actor=liaison, reason="lawful", text="News footage.")
    t.shift(10 * H)  # the deadline passes while objected: the clock is stopped
    sweep()
    return case


def rejected_after_the_deadline_passed(t, make_case, liaison, supervisor):
    """Objected in time (3 h left), rejected after the first deadline passed: the 3 h resume."""
    case = objected(t, make_case, liaison, supervisor)
    transition(case, "reject_objection", actor=supervisor, note="Propaganda, not news.")
    return case


def objected_late_and_rejected(t, make_case, liaison, supervisor):
    case = overdue(t, make_case, liaison, supervisor)
    transition(case, "object", actor=liaison, reason="lawful", text="Stalling.")
    transition(case, "reject_objection", actor=supervisor, note="No.")
    return case


def reopened_after_a_miss(t, make_case, liaison, supervisor):
    case = actioned_late(t, make_case, liaison, supervisor)
    t.shift(H)
    transition(case, "reopen", actor=supervisor, note="Still up.")
    return case


def reopened_then_rejected(t, make_case, liaison, supervisor):
    """Cycle 1 missed (due T0+4 h); cycle 2 opened at T0+7 h, objected in time with 3 h left, rejected after
    its first deadline passed: a new deadline, and an earlier missed one."""
    case = reopened_after_a_miss(t, make_case, liaison, supervisor)
    t.shift(H)
    transition(case, "object", actor=liaison, reason="lawful", text="News footage.")
    t.shift(10 * H)
    sweep()
    transition(case, "reject_objection", actor=supervisor, note="Propaganda, not news.")
    return case


def verified_late(t, make_case, liaison, supervisor):
    case = actioned_late(t, make_case, liaison, supervisor)
    transition(case, "verify", actor=supervisor)
    return case


def withdrawn_after_a_miss(t, make_case, liaison, supervisor):
    case = overdue(t, make_case, liaison, supervisor)
    transition(case, "withdraw", actor=supervisor, note="Taken down by a court order.")
    return case


# name: (build, state, text, late, missed, earlier missed, moved from)
TABLE = {
    "draft": (draft, "", "—", False, False, (), None),
    "before_due": (before_due, DeadlineState.ON_TIME, "3 h 0 min left", False, False, (), None),
    "an_hour_left": (an_hour_left, DeadlineState.DUE_SOON, "1 h 0 min left", False, False, (), None),
    "within_the_hour": (within_the_hour, DeadlineState.DUE_SOON, "30 min left", False, False, (), None),
    "at_due": (at_due, DeadlineState.DUE_SOON, "due now", False, False, (), None),
    "passed_not_yet_swept": (passed_not_yet_swept, DeadlineState.DUE_SOON, "due now", False, False, (), None),
    "overdue": (overdue, DeadlineState.OVERDUE, "overdue by 1 h 0 min", False, True, (), None),
    "actioned_on_time": (actioned_on_time, "", "—", False, False, (), None),
    "actioned_late": (actioned_late, DeadlineState.LATE, "late", True, True, (), None),
    "actioned_late_unswept": (actioned_late_unswept, DeadlineState.LATE, "late", True, True, (), None),
    "objected": (objected, "", "clock stopped", False, False, (), None),
    "rejected_after_the_deadline_passed": (rejected_after_the_deadline_passed, DeadlineState.ON_TIME,
                                           "3 h 0 min left", False, False, (), DUE),
    "objected_late_and_rejected": (objected_late_and_rejected, DeadlineState.OVERDUE, "overdue by 1 h 0 min", False,
                                   True, (), None),
    "reopened_after_a_miss": (reopened_after_a_miss, DeadlineState.ON_TIME, "4 h 0 min left", False, False, (DUE,),
                              None),
    "reopened_then_rejected": (reopened_then_rejected, DeadlineState.ON_TIME, "3 h 0 min left", False, False,
                               (DUE,), T0 + 11 * H),
    "verified_late": (verified_late, DeadlineState.LATE, "late", True, True, (), None),
    "withdrawn_after_a_miss": (withdrawn_after_a_miss, "", "—", False, True, (), None),
}


@pytest.mark.parametrize("row", TABLE)
def test_the_picture_is_the_lists_deadline_filter_row_by_row(row, traveller, make_case, liaison_a, supervisor,
                                                              analyst):
    build, state, text, late, missed, earlier, moved_from = TABLE[row]
    case = build(traveller, make_case, liaison_a, supervisor)
    case.refresh_from_db()
    picture = deadline_picture(case, history=True)
    assert picture.state == state
    assert sql_state(case, analyst) == state  # one truth: the Python picture and the SQL filter agree
    assert (picture.text, picture.late, picture.missed) == (text, late, missed)
    assert (picture.earlier_missed, picture.moved_from) == (earlier, moved_from)
    assert picture.due_at == case.due_at
    # Without the history the picture reads no cycle and says the same of the case now.
    assert deadline_picture(case).state == state
    assert deadline_picture(case).earlier_missed == ()


def test_the_api_gives_each_case_its_picture_state(traveller, make_case, liaison_a, supervisor, analyst,
                                                   unthrottled):  # noqa: F811
    cases = {row: build(traveller, make_case, liaison_a, supervisor) for row, (build, *_rest) in TABLE.items()
             if row in ("overdue", "actioned_late", "reopened_after_a_miss", "objected", "actioned_on_time")}
    client = bearer_client(analyst)
    for row, case in cases.items():
        case.refresh_from_db()
        body = client.get(f"/api/v1/cases/{case.reference}/").json()
        assert body["deadline_state"] == deadline_picture(case).state == sql_state(case, analyst), row
    listed = {c["reference"]: c["deadline_state"] for c in client.get("/api/v1/cases/").json()["results"]}
    assert {ref: state for ref, state in listed.items() if state == DeadlineState.LATE} == {
        cases["actioned_late"].reference: DeadlineState.LATE}


# --- the case page: the new deadline, and apart from it the one missed before --------------------------------

PAGES = {"analyst": "admin", "supervisor": "admin", "auditor": "admin", "liaison_a": "platform"}


def header(page: str) -> str:
    return page.split('class="patuh-case-head"', 1)[1].split("\n</div>", 1)[0] if "patuh-case-head" in page else ""


@pytest.mark.parametrize("persona", PAGES)
def test_after_a_rejected_objection_the_page_shows_the_new_deadline_and_the_earlier_miss(
        request, persona, traveller, make_case, liaison_a, supervisor, client):
    case = reopened_then_rejected(traveller, make_case, liaison_a, supervisor)
    new_due = T0 + 21 * H  # rejected at T0+18 h, with the 3 h that were left
    assert case.due_at == new_due
    client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/{PAGES[persona]}/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    head = header(page)
    assert 'data-deadline-state="on_time"' in head and "3 h 0 min left" in head
    assert f"due {shown(new_due)}" in head
    assert f"An earlier deadline was missed: {shown(DUE)}" in head  # cycle 1's, kept
    assert f"moved the deadline from {shown(T0 + 11 * H)} to {shown(new_due)}" in head  # cycle 2: first due
    assert 'data-deadline-state="late"' not in head and ">late<" not in head  # cycle 1 was late; this one is not


def test_another_platforms_liaison_gets_404(traveller, make_case, liaison_a, liaison_b, supervisor, client):
    case = reopened_then_rejected(traveller, make_case, liaison_a, supervisor)
    client.force_login(liaison_b)
    assert client.get(f"/platform/cases/case/{case.pk}/change/").status_code == 404


def test_a_missed_deadline_without_a_new_one_shows_no_moved_line(traveller, make_case, liaison_a, supervisor,
                                                                  analyst, client):
    case = objected_late_and_rejected(traveller, make_case, liaison_a, supervisor)
    client.force_login(analyst)
    head = header(client.get(f"/admin/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert 'data-deadline-state="overdue"' in head and "overdue by 1 h 0 min" in head
    assert "moved the deadline" not in head and "An earlier deadline was missed" not in head


# --- the lists: the "late" mark stands on late cases only ----------------------------------------------------


def rows_by_reference(page: str, references) -> dict[str, str]:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S)
    return {ref: next(r for r in rows if ref in r) for ref in references}


LISTED = ("before_due", "overdue", "actioned_on_time", "actioned_late", "objected", "reopened_after_a_miss",
          "rejected_after_the_deadline_passed", "verified_late", "withdrawn_after_a_miss")


@pytest.mark.parametrize("persona", PAGES)
def test_the_late_mark_stands_on_late_cases_only(request, persona, make_case, liaison_a, supervisor, client):
    cases = {}
    for row in LISTED:
        with time_machine.travel(T0, tick=False) as t:
            cases[row] = TABLE[row][0](t, make_case, liaison_a, supervisor)
    with time_machine.travel(T0 + 30 * H, tick=False):
        client.force_login(request.getfixturevalue(persona))
        url = f"/{PAGES[persona]}/cases/case/" + ("?awaiting=" if PAGES[persona] == "platform" else "")
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        rows = rows_by_reference(page, [c.reference for c in cases.values()])
        for row, case in cases.items():
            case.refresh_from_db()
            picture = deadline_picture(case)
            assert f'data-deadline-state="{picture.state or "none"}"' in rows[case.reference], row
            assert (">late<" in rows[case.reference]) is picture.late, row
    assert {row for row, case in cases.items() if deadline_picture(case).late} == {"actioned_late", "verified_late"}


def test_the_dashboards_overdue_list_shows_the_same_badge(traveller, make_case, liaison_a, supervisor, analyst,
                                                          client):
    late = overdue(traveller, make_case, liaison_a, supervisor)
    client.force_login(analyst)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = rows_by_reference(page, [late.reference])[late.reference]
    assert 'data-deadline-state="overdue"' in row and "overdue by 1 h 0 min" in row


def test_a_sanctions_grounds_say_how_late_from_the_picture(traveller, make_case, liaison_a, supervisor):
    no_action = overdue(traveller, make_case, liaison_a, supervisor)
    assert how_late(no_action) == "no action yet, 1 h 0 min past the deadline"
    assert how_late(actioned_late(traveller, make_case, liaison_a, supervisor)) == "acted 2 h 0 min late"
    assert how_late(actioned_on_time(traveller, make_case, liaison_a, supervisor)) == "within the deadline"


@pytest.mark.parametrize("persona", PAGES)
def test_the_case_pages_late_field_shows_on_late_cases_only(request, persona, make_case, liaison_a, supervisor,
                                                           client):
    """The case page's "late" field (a red cross when unset) is shown only where the case was late."""
    with time_machine.travel(T0, tick=False) as t:
        on_time = actioned_on_time(t, make_case, liaison_a, supervisor)
    with time_machine.travel(T0, tick=False) as t:
        late = actioned_late(t, make_case, liaison_a, supervisor)
    client.force_login(request.getfixturevalue(persona))
    for case, shown_late in ((on_time, False), (late, True)):
        page = client.get(f"/{PAGES[persona]}/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert ('class="form-row field-is_late"' in page.content.decode()) is shown_late, case.reference
