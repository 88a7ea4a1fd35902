"""Re-checks clicked through in Chromium (issue 17): the analyst re-checks a case the platform reported removed,
sees it still live and the flag on the dashboard, confirms the proposed reopen; re-checks another, finds it gone
and verifies with the pre-filled note; the liaison sees the result in the platform console.
"""

import pytest

from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import CaseStatus
from cases.models import Case, Recheck
from tests.recheck_server import FixtureServer, Route, fixture
from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture
from tests.test_rechecks import recheck_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_analyst_rechecks_confirms_a_reopen_and_verifies_by_clicking(live_server, browser, analyst,  # noqa: F811
                                                                        liaison_a, make_case, settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    with FixtureServer({"/example_channel": Route(200, fixture("telegram/channel_live.html")),
                        "/free_name": Route(200, fixture("telegram/channel_gone.html"))}) as server:
        recheck_settings(settings, server)
        still_up = make_case(submit=True, url=server.url("/example_channel"))
        gone = make_case(submit=True, url=server.url("/free_name"))
        for case in (still_up, gone):
            transition(case, "report_action", actor=liaison_a, action_taken="removed",
                       action_taken_at=clock.now().isoformat())
        base = live_server.url
        page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        _login(page, base, "admin", analyst.username)

        # 1. Re-check the case Telegram reported removed: still live, flagged, a reopen proposed.
        page.goto(f"{base}/admin/cases/case/{still_up.pk}/change/")
        page.click("input[type=submit][value='Re-check now']")
        assert "re-check queued" in page.inner_text(".messagelist")
        panel = page.inner_text(".patuh-rechecks")
        assert "live" in panel and "reported removed, still live" in panel
        assert Recheck.objects.get(case=still_up).verdict == "live"
        page.screenshot(path=SHOTS / "recheck-1-still-live.png", full_page=True)

        # 2. The dashboard and the case list show the flag.
        page.goto(f"{base}/admin/")
        assert still_up.reference in page.inner_text(".patuh-still-live")
        page.click("text=All in the case list")
        assert still_up.reference in page.inner_text("#result_list")
        assert gone.reference not in page.inner_text("#result_list")
        page.screenshot(path=SHOTS / "recheck-2-dashboard-queue.png", full_page=True)

        # 3. The analyst confirms the reopen: the workflow reopens it, with the re-check in the note.
        page.click(f"text={still_up.reference}")
        assert "evidence #" in page.input_value("#id_reopen_note")
        page.click("input[type=submit][value='Confirm reopen']")
        assert "reopened" in page.inner_text(".messagelist")
        assert Case.objects.get(pk=still_up.pk).status == CaseStatus.SUBMITTED

        # 4. The other case is gone: the verification starts pre-filled, the analyst verifies.
        page.goto(f"{base}/admin/cases/case/{gone.pk}/change/")
        page.click("input[type=submit][value='Re-check now']")
        assert "gone" in page.inner_text(".patuh-rechecks")
        page.click("text=Verify (note pre-filled)")
        assert "gone" in page.input_value("textarea[name=note]")
        page.click("input[type=submit][value='Verify and close']")
        assert Case.objects.get(pk=gone.pk).status == CaseStatus.VERIFIED

        # 5. Telegram's liaison sees the re-check of its case, and no flag.
        liaison = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        _login(liaison, base, "platform", liaison_a.username)
        liaison.goto(f"{base}/platform/cases/case/{gone.pk}/change/")
        panel = liaison.inner_text(".patuh-rechecks")
        assert "gone" in panel and "Re-check now" not in liaison.content()
        assert "Re-checked by Patuh" in liaison.inner_text(".patuh-timeline")
        liaison.screenshot(path=SHOTS / "recheck-3-platform-case.png", full_page=True)
