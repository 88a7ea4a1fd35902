"""Acting on re-checks, per persona, and the limits (issue 17).

- "live after reported removal" raises the flag and proposes a reopen; the analyst's confirmation reopens through
  the workflow; a dismissal is recorded; gone verdicts pre-fill the verification;
- vantage points tell "blocked in Indonesia" from "removed worldwide";
- a liaison sees the re-check results shared with their platform and nothing of another's;
- per-host rate limits, the global concurrency cap and the circuit breaker.
"""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.cases.workflow import TRANSITIONS, TransitionError
from cases.core import clock
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.core.forms import TransitionForm
from cases.evidence.services import rechecks
from cases.models import CaseEvent, Evidence, FlagStatus, Recheck, RecheckHost, RecheckStatus, StillLiveFlag
from cases.reporting.reports import ReportScope
from tests import test_rechecks
from tests.recheck_fixtures import CASES
from tests.recheck_server import Route, fixture
from tests.test_rechecks import recheck_settings, reported_removed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

server, env = test_rechecks.server, test_rechecks.env  # the fixture pages' server and the settings pointing at it

LIVE_PAGE = next(c for c in CASES if c.path == "/page").route
GONE_PAGE = next(c for c in CASES if c.path == "/missing").route


@pytest.fixture
def site(db):
    """A platform without an interpreter of its own: its pages are read by the generic one."""
    from cases.models import Platform

    return Platform.objects.create(name="Situs judi", slug="situs")


@pytest.fixture
def site_liaison(site):
    from tests.conftest import make_user

    return make_user("liaison_situs", "liaison", platform=site)


def run(case, actor):
    rechecks.request_recheck(case, actor=actor)
    rechecks.run_due(time_budget=20)


# --- acting on the verdict --------------------------------------------------------------------------------------


def test_live_after_reported_removal_raises_the_flag_and_the_analyst_confirms_the_reopen(
        env, server, make_case, site, analyst, site_liaison):
    server.routes["/still-up"] = LIVE_PAGE
    case = reported_removed(make_case, site, server.url("/still-up"), liaison=site_liaison)
    run(case, analyst)

    flag = StillLiveFlag.objects.get(case=case)
    assert flag.status == FlagStatus.OPEN and flag.recheck.verdict == "live" and flag.recheck.contradicts
    flagged = CaseEvent.objects.get(case=case, kind=EventKind.RECHECK_FLAGGED)
    assert flagged.visibility == Visibility.INTERNAL
    # The reopen form starts with what the re-check found.
    form = TransitionForm(spec=TRANSITIONS["reopen"], case=case, actor=analyst)
    assert "Still live after the reported action" in form.fields["note"].initial
    # An auditor cannot confirm it; the analyst can, through the workflow.
    from tests.conftest import make_user

    auditor = make_user("auditor2", "auditor")
    with pytest.raises(TransitionError):
        rechecks.confirm_reopen(case, actor=auditor)
    case = rechecks.confirm_reopen(case, actor=analyst)
    assert case.status == CaseStatus.SUBMITTED and case.submission_count == 2
    reopened = CaseEvent.objects.get(case=case, kind=EventKind.REOPENED)
    assert reopened.actor == analyst and "evidence #" in reopened.note
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by) == (FlagStatus.CONFIRMED, analyst)
    assert rechecks.open_flag(case) is None


def test_a_dismissed_flag_is_recorded_and_not_counted(env, server, make_case, site, analyst, site_liaison):
    server.routes["/misread"] = LIVE_PAGE
    case = reported_removed(make_case, site, server.url("/misread"), liaison=site_liaison)
    run(case, analyst)
    rechecks.plan()  # the scheduled ones exist too; they are not counted for an on-demand check
    Recheck.objects.filter(case=case, reason="on_demand").update(reason="after_action", slot="+1h-test")
    figure = rechecks.still_live_share(ReportScope(analyst).of(Recheck))
    assert figure[0]["found_live"] == 1 and figure[0]["checked_actions"] == 1
    with pytest.raises(Exception, match="why"):
        rechecks.dismiss_flag(case, actor=analyst, note="")
    rechecks.dismiss_flag(case, actor=analyst, note="The page is the channel's archive notice, not the post.")
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RECHECK_FLAG_DISMISSED).exists()
    figure = rechecks.still_live_share(ReportScope(analyst).of(Recheck))
    assert figure[0]["found_live"] == 0 and figure[0]["still_live_share"] == 0


def test_gone_prefills_the_verification_and_the_analyst_still_decides(env, server, make_case, site, analyst,
                                                                      site_liaison):
    server.routes["/gone-now"] = GONE_PAGE
    case = reported_removed(make_case, site, server.url("/gone-now"), liaison=site_liaison)
    run(case, analyst)
    assert not StillLiveFlag.objects.exists()
    note = rechecks.verification_note(case)
    assert "gone" in note and "evidence #" in note
    form = TransitionForm(spec=TRANSITIONS["verify"], case=case, actor=analyst)
    assert form.fields["note"].initial == note
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED  # nothing was decided for the analyst


def test_geo_block_seen_from_indonesia_and_live_abroad_is_not_a_contradiction(env, settings, server, make_case,
                                                                              site, analyst, site_liaison):
    """Two vantage points: an Indonesian network (a proxy whose ISP serves the block page) and a direct one abroad."""
    with IspProxy() as proxy:
        recheck_settings(settings, server, VANTAGES=[
            {"name": "jakarta", "proxy": proxy.url, "country": "ID"},
            {"name": "singapore", "proxy": "", "country": "SG"}])
        server.routes["/geo"] = LIVE_PAGE
        case = reported_removed(make_case, site, server.url("/geo"), liaison=site_liaison, action="geo_blocked")
        run(case, analyst)
        assert proxy.requests and proxy.requests[0].endswith("/geo")  # the Jakarta fetch went through the proxy
    verdicts = dict(Recheck.objects.filter(case=case).values_list("vantage", "verdict"))
    assert verdicts == {"jakarta": "restricted", "singapore": "live"}
    assert not StillLiveFlag.objects.exists()
    assert "restricted" in rechecks.verification_note(case)  # consistent with the geo-block the platform reported


def test_removal_reported_but_live_abroad_is_flagged(env, settings, server, make_case, site, analyst,
                                                     site_liaison):
    with IspProxy() as proxy:
        recheck_settings(settings, server, VANTAGES=[
            {"name": "jakarta", "proxy": proxy.url, "country": "ID"},
            {"name": "singapore", "proxy": "", "country": "SG"}])
        server.routes["/only-blocked"] = LIVE_PAGE
        case = reported_removed(make_case, site, server.url("/only-blocked"), liaison=site_liaison)
        run(case, analyst)
    flag = StillLiveFlag.objects.get(case=case)
    assert flag.recheck.vantage == "singapore"  # blocked in Indonesia is not removed worldwide


class IspProxy:
    """An HTTP proxy on an "Indonesian network": its ISP answers every request with the Internet Positif page."""

    def __init__(self):
        outer = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                outer.requests.append(self.path)  # absolute-form: the proxy saw the full URL
                body = fixture("generic/internet_positif.html")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- per persona ----------------------------------------------------------------------------------------------


@pytest.fixture
def checked(env, server, make_case, platform_a, platform_b, analyst, liaison_a, liaison_b):
    """A case of each platform, re-checked and found live after reported removal."""
    server.routes["/a-live"] = Route(200, fixture("telegram/channel_live.html"))  # Telegram's interpreter
    server.routes["/b-live"] = Route(200, fixture("facebook/post_live.html"))  # Facebook's
    a = reported_removed(make_case, platform_a, server.url("/a-live"), liaison=liaison_a)
    b = reported_removed(make_case, platform_b, server.url("/b-live"), liaison=liaison_b)
    run(a, analyst)
    run(b, analyst)
    return a, b


def test_a_liaison_sees_the_results_shared_with_their_platform_and_nothing_of_anothers(checked, liaison_a,
                                                                                       liaison_b, analyst, auditor):
    a, b = checked
    assert set(Recheck.objects.visible_to(liaison_a).values_list("case", flat=True)) == {a.pk}
    assert set(Recheck.objects.visible_to(liaison_b).values_list("case", flat=True)) == {b.pk}
    assert Recheck.objects.visible_to(auditor).count() == 2 == Recheck.objects.visible_to(analyst).count()
    # The flag is the ministry's lead, not the platform's.
    assert not StillLiveFlag.objects.visible_to(liaison_a).exists()
    assert not CaseEvent.objects.visible_to(liaison_a).filter(kind=EventKind.RECHECK_FLAGGED).exists()
    # The WARC is shared evidence of A's case, for A.
    warc_a = Recheck.objects.get(case=a).evidence
    assert Evidence.objects.visible_to(liaison_a).filter(pk=warc_a.pk).exists()
    assert not Evidence.objects.visible_to(liaison_b).filter(pk=warc_a.pk).exists()


def test_the_api_timeline_shows_the_recheck_to_its_platform_only(checked, liaison_a, liaison_b, analyst):
    a, _b = checked
    client = APIClient()
    client.force_authenticate(liaison_a)
    url = reverse("api:case-event-list", kwargs={"reference": a.reference})
    events = client.get(url).json()["results"]
    recheck = [e for e in events if e["kind"] == "rechecked"]
    assert len(recheck) == 1 and recheck[0]["data"]["verdict"] == "live"
    assert recheck[0]["data"]["sha256"] == Recheck.objects.get(case=a).evidence.sha256
    assert not [e for e in events if e["kind"] == "recheck_flagged"]
    client.force_authenticate(liaison_b)
    assert client.get(url).status_code == 404
    client.force_authenticate(analyst)
    kinds = [e["kind"] for e in client.get(url).json()["results"]]
    assert "rechecked" in kinds and "recheck_flagged" in kinds


def test_the_consoles_show_the_results_by_persona(checked, client, liaison_a, liaison_b, analyst, auditor):
    a, b = checked
    client.force_login(liaison_a)
    page = client.get(reverse("platform:cases_case_change", args=[a.pk])).content.decode()
    assert "Re-checks" in page and "reported removed, still live" not in page and "Re-check now" not in page
    assert client.get(reverse("platform:cases_case_change", args=[b.pk])).status_code == 404
    listing = client.get(reverse("platform:cases_recheck_changelist")).content.decode()
    assert a.reference in listing and b.reference not in listing
    client.force_login(liaison_b)
    assert client.get(reverse("platform:cases_recheck_change",
                              args=[Recheck.objects.get(case=a).pk])).status_code == 404
    client.force_login(auditor)
    listing = client.get(reverse("admin:cases_recheck_changelist")).content.decode()
    assert a.reference in listing and b.reference in listing
    assert client.get(reverse("admin:cases_recheckhost_changelist")).status_code == 200
    page = client.get(reverse("admin:cases_case_change", args=[a.pk])).content.decode()
    assert "reported removed, still live" in page and "Confirm reopen" not in page and "Re-check now" not in page
    client.force_login(analyst)
    page = client.get(reverse("admin:cases_case_change", args=[a.pk])).content.decode()
    assert "Confirm reopen" in page and "Re-check now" in page
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "Reported removed, still live" in dashboard and a.reference in dashboard and b.reference in dashboard
    listing = client.get(reverse("admin:cases_case_changelist") + "?recheck=still_live").content.decode()
    assert a.reference in listing and "reported removed, still live" in listing
    # The analyst confirms the reopen by posting the panel's form.
    response = client.post(reverse("admin:cases_case_recheck_confirm", args=[a.pk]), {"note": "Still up."})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == CaseStatus.SUBMITTED


def test_an_anonymous_visitor_gets_nothing(checked, client):
    a, _b = checked
    response = client.post(reverse("admin:cases_case_recheck", args=[a.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Recheck.objects.filter(case=a).count() == 1


# --- limits ---------------------------------------------------------------------------------------------------


def test_the_rate_limit_spaces_requests_to_one_host(env, settings, server, make_case, platform_a, analyst):
    recheck_settings(settings, server, HOST_RATE=4)
    server.routes["/rate"] = LIVE_PAGE
    for i in range(6):
        server.routes[f"/rate/{i}"] = LIVE_PAGE
        case = make_case(submit=True, platform=platform_a, url=server.url(f"/rate/{i}"))
        rechecks.request_recheck(case, actor=analyst)
    start = len(server.hits)
    assert rechecks.run_due(time_budget=20) == 6
    times = [h.at for h in server.hits[start:]]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps  # 4 per second: 0.25 s apart (less the scheduler's jitter)


def test_the_concurrency_cap_holds_over_every_worker(env, settings, server, make_case, platform_a, analyst):
    recheck_settings(settings, server, MAX_CONCURRENCY=2)
    settings.PATUH_FETCH_ALLOW_HOSTS = [f"127.0.0.{i}" for i in range(1, 7)]
    for i in range(5):
        case = make_case(submit=True, platform=platform_a, url=f"http://127.0.0.{i + 1}:{server.port}/cap")
        rechecks.request_recheck(case, actor=analyst)
    first = rechecks.claim()
    assert len(first) == 2
    assert rechecks.claim() == []  # a second worker gets nothing while two run
    Recheck.objects.filter(pk=first[0].pk).update(status=RecheckStatus.DONE)
    assert len(rechecks.claim()) == 1


def test_the_circuit_breaker_rests_a_failing_host_then_probes_once(env, settings, server, make_case, platform_a,
                                                                   analyst):
    recheck_settings(settings, server, BREAKER_FAILURES=2, BREAKER_COOLDOWN=60)
    server.routes["/flaky"] = Route(503, b"down")
    cases = []
    for i in range(4):
        server.routes[f"/flaky/{i}"] = Route(503, b"down")
        case = make_case(submit=True, platform=platform_a, url=server.url(f"/flaky/{i}"))
        rechecks.request_recheck(case, actor=analyst)
        cases.append(case)
    assert rechecks.run_due(time_budget=10) == 2
    host = RecheckHost.objects.get(host="127.0.0.1")
    assert host.open_until is not None and host.open_until > clock.now()
    assert Recheck.objects.filter(status=RecheckStatus.PENDING).count() == 2  # waiting, not failed
    # After the cooldown the host is up again: one probe goes first, then the rest.
    for i in range(4):
        server.routes[f"/flaky/{i}"] = LIVE_PAGE
    with clock.frozen(host.open_until + timedelta(seconds=1)):
        probe = rechecks.claim()
        assert len(probe) == 1
        assert rechecks.claim() == []  # the probe is out
        rechecks.run_one(probe[0])
        host.refresh_from_db()
        assert host.open_until is None and host.failures == 0
        assert rechecks.run_due(time_budget=10) == 1


def test_a_429_pushes_the_hosts_next_slot_back(env, server, make_case, platform_a, analyst):
    server.routes["/busy"] = Route(429, b"slow down", {"Retry-After": "120"})
    case = make_case(submit=True, platform=platform_a, url=server.url("/busy"))
    run(case, analyst)
    host = RecheckHost.objects.get(host="127.0.0.1")
    assert host.next_slot_at > clock.now() + timedelta(seconds=100)
    assert Recheck.objects.get(case=case).verdict == "unknown"


def test_the_report_gives_each_persona_the_share_still_live_of_their_platforms(checked, liaison_a, analyst,
                                                                              anonymous):
    a, b = checked
    Recheck.objects.update(reason="after_action")  # as if the +1h re-checks had found them
    client = APIClient()
    url = reverse("api:report-rechecks")
    client.force_authenticate(analyst)
    rows = {r["platform"]: r for r in client.get(url).json()}
    assert rows["telegram"]["found_live"] == 1 and rows["telegram"]["still_live_share"] == 1.0
    assert set(rows) == {"telegram", "facebook"}
    client.force_authenticate(liaison_a)
    assert [r["platform"] for r in client.get(url).json()] == ["telegram"]
    assert client.get(url + "?platform=facebook").status_code == 400  # not a platform A's liaison may name
    csv = client.get(url + "?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("platform,")
    client.force_authenticate(None)
    assert client.get(url).status_code == 401


def test_the_scorecards_show_the_share_still_live(checked, client, liaison_a, analyst, platform_a):
    Recheck.objects.update(reason="after_action")
    client.force_login(liaison_a)
    page = client.get(reverse("platform:scorecard")).content.decode()
    assert "Reported actions found still live" in page and "Telegram" in page and "Facebook" not in page
    client.force_login(analyst)
    page = client.get(reverse("admin:cases_platform_change", args=[platform_a.pk])).content.decode()
    assert "Reported actions found still live" in page and "100%" in page
