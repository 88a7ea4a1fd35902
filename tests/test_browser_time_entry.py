"""Liaison A reports an action with the time as their Dublin clock shows it, in Chromium (issue 13, item 4)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.core import clock
from cases.core.choices import CaseStatus
from cases.models import Case
from tests.test_browser import _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_a_reports_an_action_time_in_dublin_time(live_server, browser, liaison_a, make_case):
    base = live_server.url
    with clock.frozen(clock.now() - timedelta(hours=3)):
        case = make_case(submit=True)
    # An hour ago, as a clock in Dublin shows it.
    taken = (clock.now() - timedelta(hours=1)).astimezone(ZoneInfo("Europe/Dublin")).replace(second=0, microsecond=0)

    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    _login(page, base, "platform", liaison_a.username)
    page.goto(f"{base}/platform/cases/case/{case.pk}/act/report_action/")
    # The form starts at now in Jakarta time and says so.
    assert page.input_value("select[name=action_time_zone]") == "Asia/Jakarta"
    assert "WIB" in page.inner_text("select[name=action_time_zone] option:checked")
    page.select_option("select[name=action_taken]", "removed")
    page.select_option("select[name=action_time_zone]", "Europe/Dublin")
    page.fill("input[name=action_taken_at]", taken.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=note]", "Channel closed from Dublin.")
    page.click("input[type=submit][value='Report action taken']")
    page.wait_for_url(f"**/platform/cases/case/{case.pk}/change/")

    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED
    assert case.action_taken_at == taken  # the same instant, stored in UTC
    # A time in the future is refused on the page and changes nothing.
    other = make_case(submit=True)
    page.goto(f"{base}/platform/cases/case/{other.pk}/act/report_action/")
    page.select_option("select[name=action_taken]", "removed")
    page.select_option("select[name=action_time_zone]", "Asia/Tokyo")
    page.fill("input[name=action_taken_at]", (clock.now() + timedelta(hours=3)).astimezone(ZoneInfo("Asia/Tokyo"))
              .strftime("%Y-%m-%dT%H:%M"))
    page.click("input[type=submit][value='Report action taken']")
    assert "may not be in the future" in page.inner_text(".errorlist")
    assert Case.objects.get(pk=other.pk).status == CaseStatus.SUBMITTED
