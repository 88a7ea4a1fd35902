"""One deadline picture in a real browser (issue 13, item 3): the analyst and a liaison open the case list and a
case page in their consoles; every badge says what `cases.reporting.reports.deadline_picture` says, the "late" mark
stands on the late case only, and the case page shows the new deadline and, apart from it, the one missed earlier. Runs
Debian's Chromium through Playwright, as tests/test_browser.py does.

The cases are built at past moments (time-machine, only while building): the server and the browser then run
at the real time, so sessions and cookies are not confused by a travelled clock.
"""

from datetime import timedelta

import pytest
import time_machine

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Category
from cases.reporting.reports import DeadlineState, deadline_picture
from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture; skips without Chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

H = timedelta(hours=1)


@pytest.fixture
def deadline_cases(make_case, liaison_a, supervisor):
    """Urgent cases (4 h): overdue, actioned late, actioned on time, fresh, and one reopened after a miss whose
    objection (lodged in time) was rejected after its deadline passed."""
    now = clock.now()

    def urgent():
        return make_case(category=Category.TERRORISM, submit=True)

    def act(case):
        transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())

    with time_machine.travel(now - 30 * H, tick=False) as t:
        overdue, late, on_time, moved = urgent(), urgent(), urgent(), urgent()
        t.shift(H)
        act(on_time)
        t.shift(4 * H)  # now - 25 h: every deadline above has passed
        sweep()
        act(late)
        act(moved)
        t.shift(H)  # now - 24 h
        transition(moved, "reopen", actor=supervisor, note="Still up.")  # cycle 2, due now - 20 h
        t.shift(H)  # now - 23 h: 3 h left
        transition(moved, "object", actor=liaison_a, reason="lawful", text="News footage.")
        t.shift(22 * H)  # now - 1 h: the objection is rejected; the 3 h resume (due in 2 h)
        transition(moved, "reject_objection", actor=supervisor, note="Propaganda, not news.")
    fresh = urgent()
    cases = {"overdue": overdue, "late": late, "on_time": on_time, "moved": moved, "fresh": fresh}
    for case in cases.values():
        case.refresh_from_db()
    return cases


def _badges(page) -> dict[str, tuple[str, str]]:
    """Each listed case's reference -> (its badge's data-deadline-state, its text)."""
    found = {}
    for row in page.locator("#result_list tbody tr").all():
        reference = row.locator(".field-reference").inner_text().strip()
        badge = row.locator("[data-deadline-state]")
        found[reference] = (badge.get_attribute("data-deadline-state"), badge.inner_text().strip())
    return found


def _expected(cases) -> dict[str, str]:
    return {c.reference: deadline_picture(c).state or "none" for c in cases.values()}


@pytest.mark.parametrize("persona, site", [("analyst", "admin"), ("liaison_a", "platform")])
def test_the_list_and_the_case_page_show_the_same_deadline(request, persona, site, live_server,
                                                           browser, deadline_cases):  # noqa: F811
    base = live_server.url
    expected = _expected(deadline_cases)
    assert expected == {deadline_cases["overdue"].reference: DeadlineState.OVERDUE,
                        deadline_cases["late"].reference: DeadlineState.LATE,
                        deadline_cases["on_time"].reference: "none",
                        deadline_cases["moved"].reference: DeadlineState.ON_TIME,
                        deadline_cases["fresh"].reference: DeadlineState.ON_TIME}
    page = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="en-US").new_page()
    _login(page, base, site, request.getfixturevalue(persona).username)
    page.goto(f"{base}/{site}/cases/case/?awaiting=" if site == "platform" else f"{base}/{site}/cases/case/")
    badges = _badges(page)
    assert {ref: state for ref, (state, _text) in badges.items()} == expected
    late_marked = {ref for ref, (_state, text) in badges.items() if text == "late"}
    assert late_marked == {deadline_cases["late"].reference}
    page.screenshot(path=SHOTS / f"deadline-list-{site}.png", full_page=True)

    moved = deadline_cases["moved"]
    page.goto(f"{base}/{site}/cases/case/{moved.pk}/change/")
    head = page.locator(".patuh-case-head")
    assert head.locator("[data-deadline-state]").get_attribute("data-deadline-state") == DeadlineState.ON_TIME
    assert head.locator("[data-deadline-state]").inner_text().strip().endswith(" left")
    assert badges[moved.reference][1].endswith(" left")
    assert head.locator(".patuh-deadline-missed").count() == 1  # cycle 1's deadline, missed for good
    assert head.locator(".patuh-deadline-moved").count() == 1  # cycle 2's, moved by the rejected objection
    page.screenshot(path=SHOTS / f"deadline-case-{site}.png", full_page=True)
