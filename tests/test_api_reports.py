"""Reports over the API, checked against figures computed by hand on a small fixed data set.

The clock is set with `cases.core.clock.frozen`; the same figures must come out of PostgreSQL (percentile_cont in
SQL) and SQLite (the same interpolation in Python).

The data set (T0 = Monday 2 March 2026, 09:00 Jakarta; the report is read at T0 + 48 h):

    Telegram  c1 hoax       submitted T0, acknowledged +1 h,   actioned +3 h   (on time, 24 h window)
              c2 hoax       submitted T0, acknowledged +2 h,   actioned +30 h  (late)
              c3 terrorism  submitted T0, acknowledged +0.5 h, actioned +1 h   (on time, 4 h window)
              c4 hoax       submitted T0, acknowledged +4 h,   no action       (overdue since T0 + 24 h)
              c5 gambling   submitted T0, objected +2 h
              c6 hoax       submitted T0, withdrawn +1 h
    Facebook  d1 hoax       submitted T0, acknowledged +10 h,  actioned +12 h  (on time)
              d2 hoax       a draft (never counted)
              d3 hoax       submitted 3 March 06:00 Jakarta (2 March 23:00 UTC), no action (overdue since 4 March 06:00)
"""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Category, CommitmentKind
from cases.models import Commitment, Meeting, Sanction
from cases.reporting.reports import ReportScope, compliance_report, percentile_cont
from cases.sanctions.services.sanctions import issue_sanction
from tests.conftest import SharedWorld
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
NOW = T0 + timedelta(hours=48)
PERIOD = "from=2026-03-01&to=2026-03-04"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture(scope="class")
def dataset(make_case, analyst, supervisor, liaison_a, liaison_b, platform_a, platform_b):
    """The data set above, built once for the tests of `TestTheDataSet`."""
    def submitted(category, *, platform=platform_a, when=T0, n=[0]):  # noqa: B006 - a counter
        n[0] += 1
        url = (f"https://t.me/c/{n[0]}" if platform == platform_a else f"https://facebook.com/p/{n[0]}")
        with clock.frozen(when):
            return make_case(platform=platform, category=category, url=url, submit=True)

    def act(case, action, hours, actor, **data):
        with clock.frozen(at(hours)):
            transition(case, action, actor=actor, **data)

    cases = {}
    for name, category in (("c1", "hoax"), ("c2", "hoax"), ("c3", "terrorism"), ("c4", "hoax"),
                           ("c5", "gambling"), ("c6", "hoax")):
        cases[name] = submitted(category)
    cases["d1"] = submitted("hoax", platform=platform_b)
    with clock.frozen(T0):
        cases["d2"] = make_case(platform=platform_b, url="https://facebook.com/p/draft")
    cases["d3"] = submitted("hoax", platform=platform_b, when=datetime(2026, 3, 3, 6, 0, tzinfo=WIB))

    for name, ack, action in (("c1", 1, 3), ("c2", 2, 30), ("c3", 0.5, 1), ("c4", 4, None), ("d1", 10, 12)):
        liaison = liaison_a if name.startswith("c") else liaison_b
        act(cases[name], "acknowledge", ack, liaison)
        if action is not None:
            act(cases[name], "report_action", action, liaison, action_taken="removed",
                action_taken_at=at(action - 0.1).isoformat())
    act(cases["c5"], "object", 2, liaison_a, reason="lawful", text="Satire.")
    act(cases["c6"], "withdraw", 1, supervisor, note="Sent by mistake.")
    with clock.frozen(NOW):
        sweep(deliver=False)
        facebook_proposal = Sanction.objects.get(platform=platform_b)
        issue_sanction(facebook_proposal, actor=supervisor, letter_reference="ST1/2026/001")
    meeting = Meeting.objects.create(title="Pertemuan", held_on=T0.date())
    meeting.platforms.set([platform_a, platform_b])
    Commitment.objects.create(meeting=meeting, platform=platform_a, kind=CommitmentKind.TAKEDOWN_SPEED,
                              text="Hoaks diturunkan dalam sehari", measured_category=Category.HOAX, target_hours=24)
    Commitment.objects.create(meeting=meeting, platform=platform_b, kind=CommitmentKind.LOCAL_TEAM,
                              text="Tim konten lokal")
    return cases


def get(user, path):
    with clock.frozen(NOW):
        response = bearer_client(user).get(path)
    assert response.status_code == 200, response.content
    return response


# The worked example (docs/reports.md): c2 was actioned late (30 h on a 24 h deadline) and c4 and d3 went
# overdue: three misses; c5's objection was lodged in time and waits: neither met nor missed; c6 was withdrawn
# within its deadline: no verdict.
FIGURES_A = {
    "platform": "telegram", "platform_name": "Telegram", "received": 6, "orders": 6, "acknowledged": 4,
    "actioned": 3, "on_time": 2, "missed": 2, "objection_pending": 1, "objected": 1, "withdrawn": 1, "open": 5,
    "overdue_now": 1, "on_time_share": 0.5,
    "ack_median_hours": 1.5, "ack_p90_hours": 3.4, "action_median_hours": 3.0, "action_p90_hours": 24.6,
}
CATEGORIES_A = [
    {"category": "gambling", "received": 1, "orders": 1, "acknowledged": 0, "actioned": 0, "on_time": 0,
     "missed": 0, "objection_pending": 1, "objected": 1, "withdrawn": 0, "open": 1, "overdue_now": 0,
     "on_time_share": None, "ack_median_hours": None, "ack_p90_hours": None, "action_median_hours": None,
     "action_p90_hours": None},
    {"category": "hoax", "received": 4, "orders": 4, "acknowledged": 3, "actioned": 2, "on_time": 1, "missed": 2,
     "objection_pending": 0, "objected": 0, "withdrawn": 1, "open": 3, "overdue_now": 1, "on_time_share": 0.3333,
     "ack_median_hours": 2.0, "ack_p90_hours": 3.6, "action_median_hours": 16.5, "action_p90_hours": 27.3},
    {"category": "terrorism", "received": 1, "orders": 1, "acknowledged": 1, "actioned": 1, "on_time": 1,
     "missed": 0, "objection_pending": 0, "objected": 0, "withdrawn": 0, "open": 1, "overdue_now": 0,
     "on_time_share": 1.0, "ack_median_hours": 0.5, "ack_p90_hours": 0.5, "action_median_hours": 1.0,
     "action_p90_hours": 1.0},
]
FIGURES_B = {
    "platform": "facebook", "platform_name": "Facebook", "received": 2, "orders": 2, "acknowledged": 1,
    "actioned": 1, "on_time": 1, "missed": 1, "objection_pending": 0, "objected": 0, "withdrawn": 0, "open": 2,
    "overdue_now": 1, "on_time_share": 0.5,
    "ack_median_hours": 10.0, "ack_p90_hours": 10.0, "action_median_hours": 12.0, "action_p90_hours": 12.0,
}
TOTAL = {
    "received": 8, "orders": 8, "acknowledged": 5, "actioned": 4, "on_time": 3, "missed": 3,
    "objection_pending": 1, "objected": 1, "withdrawn": 1, "open": 7, "overdue_now": 2, "on_time_share": 0.5,
    "ack_median_hours": 2.0, "ack_p90_hours": 7.6, "action_median_hours": 7.5, "action_p90_hours": 24.6,
}


def strip(platform: dict) -> dict:
    return {k: v for k, v in platform.items() if k != "categories"}


COUNTED = ("platform", "platform_name", "received", "acknowledged", "actioned", "on_time", "overdue_now",
           "objected", "withdrawn", "open", "on_time_share")


class TestTheDataSet(SharedWorld):
    """The tests that only read `dataset`, built once for all of them (tests/conftest.py, `SharedWorld`). Each runs
    in its own savepoint: the report one of them publishes is gone before the next one asks for the latest."""

    @pytest.mark.parametrize("persona", ["analyst", "supervisor", "auditor"])
    def test_compliance_figures_for_the_ministry(self, request, dataset, persona):
        body = get(request.getfixturevalue(persona), f"/api/v1/reports/compliance/?{PERIOD}").json()
        assert body["period"] == {"from": "2026-03-01", "to": "2026-03-04"}
        facebook, telegram = body["platforms"]
        assert strip(telegram) == FIGURES_A
        assert telegram["categories"] == CATEGORIES_A
        assert strip(facebook) == FIGURES_B
        assert body["total"] == TOTAL

    def test_compliance_for_a_liaison_is_its_platform_only(self, dataset, liaison_a, liaison_b):
        body = get(liaison_a, f"/api/v1/reports/compliance/?{PERIOD}").json()
        assert [strip(p) for p in body["platforms"]] == [FIGURES_A]
        assert body["total"]["received"] == 6
        body = get(liaison_b, f"/api/v1/reports/compliance/?{PERIOD}").json()
        assert [strip(p) for p in body["platforms"]] == [FIGURES_B]
        assert body["total"] == {**{k: FIGURES_B[k] for k in TOTAL}}
        with clock.frozen(NOW):
            assert bearer_client(liaison_b).get(f"/api/v1/reports/compliance/?{PERIOD}&platform=telegram").status_code \
                == 400

    def test_compliance_filters_and_period(self, dataset, analyst):
        body = get(analyst, f"/api/v1/reports/compliance/?{PERIOD}&category=terrorism").json()
        assert [(p["platform"], p["received"]) for p in body["platforms"]] == [("telegram", 1)]
        body = get(analyst, "/api/v1/reports/compliance/?from=2026-03-03&to=2026-03-04").json()
        assert [(p["platform"], p["received"], p["overdue_now"]) for p in body["platforms"]] == [("facebook", 1, 1)]
        body = get(analyst, f"/api/v1/reports/compliance/?{PERIOD}&tier=urgent&platform=telegram").json()
        assert body["total"]["received"] == 1

    def test_compliance_as_csv(self, dataset, analyst):
        response = get(analyst, f"/api/v1/reports/compliance/?{PERIOD}&format=csv")
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        by_key = {(r["platform"], r["category"]): r for r in rows}
        assert set(by_key) == {("facebook", ""), ("facebook", "hoax"), ("telegram", ""), ("telegram", "gambling"),
                               ("telegram", "hoax"), ("telegram", "terrorism"), ("", "")}
        assert by_key[("telegram", "")]["ack_p90_hours"] == "3.4"
        assert by_key[("", "")]["received"] == "8"

    def test_bad_periods_answer_400(self, dataset, analyst):
        with clock.frozen(NOW):
            client = bearer_client(analyst)
            assert client.get("/api/v1/reports/compliance/?from=yesterday").status_code == 400
            assert client.get("/api/v1/reports/compliance/?from=2026-03-05&to=2026-03-01").status_code == 400
            assert client.get("/api/v1/reports/daily/?from=2020-01-01&to=2026-03-01").status_code == 400

    def test_daily_series_per_platform_in_jakarta_days(self, dataset, analyst, liaison_b):
        rows = get(analyst, "/api/v1/reports/daily/?from=2026-03-02&to=2026-03-04").json()
        table = {(r["platform"], r["day"]): (r["received"], r["orders"], r["objected"], r["actioned"], r["overdue"],
                                             r["late"]) for r in rows}
        assert table == {
            ("facebook", "2026-03-02"): (1, 1, 0, 1, 0, 0),
            ("facebook", "2026-03-03"): (1, 1, 0, 0, 0, 0),  # 06:00 Jakarta is still 2 March in UTC
            ("facebook", "2026-03-04"): (0, 0, 0, 0, 1, 0),
            ("telegram", "2026-03-02"): (6, 6, 1, 2, 0, 0),
            ("telegram", "2026-03-03"): (0, 0, 0, 1, 1, 1),
            ("telegram", "2026-03-04"): (0, 0, 0, 0, 0, 0),
        }
        rows = get(liaison_b, "/api/v1/reports/daily/?from=2026-03-02&to=2026-03-04&format=csv").content.decode()
        assert "telegram" not in rows
        assert rows.splitlines()[0] == "day,platform,received,orders,objected,actioned,overdue,late"

    def test_a_quiet_day_has_a_row_of_zeros_for_every_platform_in_scope(self, dataset, analyst, liaison_a):
        rows = get(liaison_a, "/api/v1/reports/daily/?from=2026-02-01&to=2026-02-01").json()
        assert rows == [{"day": "2026-02-01", "platform": "telegram", "received": 0, "orders": 0, "objected": 0,
                         "actioned": 0, "overdue": 0, "late": 0}]
        rows = get(analyst, "/api/v1/reports/daily/?from=2026-02-01&to=2026-02-02").json()
        assert [(r["platform"], r["day"]) for r in rows] == [("facebook", "2026-02-01"), ("facebook", "2026-02-02"),
                                                             ("telegram", "2026-02-01"), ("telegram", "2026-02-02")]

    def test_commitments_report_measures_from_the_cases(self, dataset, analyst, liaison_a, liaison_b):
        rows = get(analyst, f"/api/v1/reports/commitments/?{PERIOD}").json()
        assert [(r["platform"], r["measured"]) for r in rows] == [("facebook", False), ("telegram", True)]
        telegram = rows[1]
        assert (telegram["cases"], telegram["decided"], telegram["met"], telegram["pending"], telegram["share"]) == (
            3, 3, 1, 0, 0.3333)
        assert rows[0]["cases"] is None
        assert [r["platform"] for r in get(liaison_a, "/api/v1/reports/commitments/").json()] == ["telegram"]
        assert [r["platform"] for r in get(liaison_b, "/api/v1/reports/commitments/").json()] == ["facebook"]

    def test_sanctions_report_counts_what_each_may_see(self, dataset, supervisor, liaison_a, liaison_b):
        assert get(supervisor, "/api/v1/reports/sanctions/").json() == [
            {"platform": "facebook", "level": 1, "status": "issued", "count": 1, "counted_by": "proposed"},
            {"platform": "telegram", "level": 1, "status": "proposed", "count": 1, "counted_by": "proposed"},
        ]
        assert get(liaison_a, "/api/v1/reports/sanctions/").json() == []  # a proposal is the ministry's deliberation
        assert get(liaison_b, "/api/v1/reports/sanctions/").json() == [
            {"platform": "facebook", "level": 1, "status": "issued", "count": 1, "counted_by": "proposed"}]
        csv_text = get(supervisor, "/api/v1/reports/sanctions/?format=csv").content.decode()
        assert csv_text.splitlines() == ["platform,level,status,count,counted_by", "facebook,1,issued,1,proposed",
                                         "telegram,1,proposed,1,proposed"]

    def test_the_sanctions_report_honours_its_period_and_says_what_it_counted(self, dataset, supervisor):
        assert get(supervisor, "/api/v1/reports/sanctions/?from=2025-11-01&to=2025-11-30").json() == []
        assert get(supervisor, "/api/v1/reports/sanctions/?from=2026-03-04&to=2026-03-04&counted_by=issued").json() == [
            {"platform": "facebook", "level": 1, "status": "issued", "count": 1, "counted_by": "issued"}]
        with clock.frozen(NOW):
            assert bearer_client(supervisor).get("/api/v1/reports/sanctions/?counted_by=lifted").status_code == 400

    @pytest.mark.parametrize("path", ["compliance", "daily", "commitments", "sanctions"])
    def test_reports_need_credentials(self, dataset, path):
        assert bearer_client(None).get(f"/api/v1/reports/{path}/").status_code == 401

    def test_public_transparency_is_off_unless_published(self, dataset):
        response = bearer_client(None).get("/api/v1/public/transparency/")
        assert response.status_code == 404

    def test_public_transparency_serves_the_latest_published_report(self, settings, dataset, supervisor):
        from cases.reporting.services.publishing import publish_report

        settings.PATUH_PUBLIC_TRANSPARENCY = True
        settings.PATUH_PUBLIC_MIN_COUNT = 1
        assert bearer_client(None).get("/api/v1/public/transparency/").json() == []  # nothing published yet
        with clock.frozen(NOW):
            report = publish_report(actor=supervisor, first=T0.date(), last=NOW.date())
        response = bearer_client(None).get("/api/v1/public/transparency/")
        assert response.status_code == 200
        assert response.json() == [
            {"month": "2026-03", "platform": "Facebook", "category": "hoax", "received": 2, "orders": 2, "actioned": 1,
             "actioned_on_time": 1, "missed": 1, "objected": 0, "withdrawn": 0},
            {"month": "2026-03", "platform": "Telegram", "category": "gambling", "received": 1, "orders": 1,
             "actioned": 0, "actioned_on_time": 0, "missed": 0, "objected": 1, "withdrawn": 0},
            {"month": "2026-03", "platform": "Telegram", "category": "hoax", "received": 4, "orders": 4, "actioned": 2,
             "actioned_on_time": 1, "missed": 2, "objected": 0, "withdrawn": 1},
            {"month": "2026-03", "platform": "Telegram", "category": "terrorism", "received": 1, "orders": 1,
             "actioned": 1, "actioned_on_time": 1, "missed": 0, "objected": 0, "withdrawn": 0},
        ]
        assert bearer_client(None).get(f"/api/v1/public/transparency/?report={report.pk}").json() == response.json()
        assert bearer_client(None).get("/api/v1/public/transparency/?report=999").status_code == 404
        assert bearer_client(None).get("/api/v1/public/transparency/?report=x").status_code == 400
        as_csv = bearer_client(None).get("/api/v1/public/transparency/?format=csv")
        text = response.content.decode() + as_csv.content.decode()
        for case in dataset.values():
            assert case.reference not in text and case.location_url not in text
        assert "http" not in text
        # A bad token does not matter here: the endpoint takes no credentials.
        client = bearer_client(None)
        client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
        assert client.get("/api/v1/public/transparency/").status_code == 200

    def test_compliance_report_function_matches_the_api(self, dataset, analyst):
        with clock.frozen(NOW):
            report = compliance_report(ReportScope(analyst))
        assert report["total"] == TOTAL

    # --- the consoles show the API's figures ------------------------------------------------------------

    def test_the_consoles_show_the_apis_figures_for_the_same_jakarta_days(self, client, dataset, analyst, liaison_a,
                                                                         platform_a):
        """Read on 1 April 08:00: T0 (2 March 09:00) is within the last 30×24 hours, but not within the last 30
        Jakarta days (3 March to 1 April). The dashboards, the scorecards and the API all leave it out."""
        from django.urls import reverse

        from cases.cases.admin.ministry import render_scorecard
        from cases.reporting.admin.dashboards import scorecard

        def figures(rows):
            return [{k: (r[k] if isinstance(r, dict) else getattr(r, k)) for k in COUNTED} for r in rows]

        def api(user, path):
            response = bearer_client(user).get(path)
            assert response.status_code == 200, response.content
            return response.json()["platforms"]

        with clock.frozen(datetime(2026, 4, 1, 8, 0, tzinfo=WIB)):
            api30 = api(analyst, "/api/v1/reports/compliance/")
            api90 = api(analyst, "/api/v1/reports/compliance/?from=2026-01-02&to=2026-04-01")
            client.force_login(analyst)
            dashboard = client.get(reverse("admin:index")).context["compliance"]
            periods = scorecard(ReportScope(analyst))
            liaison_api = api(liaison_a, "/api/v1/reports/compliance/")
            client.force_login(liaison_a)
            liaison_dashboard = client.get(reverse("platform:index")).context["compliance"]
            page = client.get(reverse("platform:scorecard"))
            html = render_scorecard(scorecard(ReportScope(everyone=True, platforms=(platform_a,))))
        assert [p["platform"] for p in api30] == ["facebook"] and api30[0]["received"] == 1  # d3 only
        assert figures(dashboard) == figures(api30)
        assert [p["days"] for p in periods] == [30, 90]
        assert figures(periods[0]["rows"]) == figures(api30)
        assert figures(periods[1]["rows"]) == figures(api90) and len(api90) == 2
        assert figures(liaison_dashboard) == figures(liaison_api) == []
        assert page.status_code == 200 and "Telegram" in page.content.decode()  # in the last 90 days
        assert "50%" in html  # Telegram, last 90 days: 2 of 4 decided within the deadline


def test_commitment_figures_take_one_query_whatever_the_number_of_commitments(
    platform_a, platform_b, django_assert_num_queries
):
    from cases.core import clock
    from cases.models import Commitment
    from cases.reporting.reports import commitment_figures

    for i, platform in enumerate([platform_a, platform_b] * 3):
        Commitment.objects.create(platform=platform, text=f"c{i}", measured_category="terrorism", target_hours=4 + i)
    with django_assert_num_queries(2):  # the commitments, then every measure at once
        rows = commitment_figures(Commitment.objects.all(), start=clock.now() - timedelta(days=30))
    assert len(rows) == 6 and all(r["measured"] and r["cases"] == 0 for r in rows)


# --- the percentile itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("values, fraction, expected", [
    ([], 0.5, None),
    ([7.0], 0.9, 7.0),
    ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
    ([1.0, 2.0, 3.0, 4.0, 10.0], 0.9, 7.6),
    ([30.0, 1.0, 3.0], 0.9, 24.6),
    ([5.0, 1.0], 0.0, 1.0),
    ([5.0, 1.0], 1.0, 5.0),
])
def test_percentile_cont_interpolates_linearly(values, fraction, expected):
    result = percentile_cont(values, fraction)
    assert result == pytest.approx(expected) if expected is not None else result is None
