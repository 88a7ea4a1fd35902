"""Published reports: a supervisor publishes a period; the figures are frozen with their as-of time, the
definitions' version and the SHA-256 of the published document; the ministry console and the API list them;
they never change; the public page serves them (counts only, small counts as "< 10") when the setting allows."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.cases.workflow import transition
from cases.core import clock
from cases.models import PublishedReport
from cases.reporting.reports import DEFINITIONS_VERSION
from cases.reporting.services.publishing import publish_report
from tests.test_api_support import bearer_client

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def orders(make_case, liaison_a, platform_b):
    made = []
    with clock.frozen(T0):
        for i in range(12):
            made.append(make_case(submit=True, url=f"https://t.me/pub/{i}"))
        made.append(make_case(submit=True, platform=platform_b, url="https://facebook.com/pub/1"))
    with clock.frozen(T0 + timedelta(hours=2)):
        for case in made[:11]:
            transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    return made


def publish(actor, **kw):
    with clock.frozen(T0 + timedelta(days=3)):
        return publish_report(actor=actor, first=T0.date(), last=T0.date() + timedelta(days=1), **kw)


def test_a_supervisor_publishes_through_the_console_and_the_figures_are_frozen(client, orders, supervisor, liaison_a):
    client.force_login(supervisor)
    with clock.frozen(T0 + timedelta(days=3)):
        response = client.post(reverse("admin:cases_publishedreport_add"),
                               {"first_day": "2026-03-02", "last_day": "2026-03-03", "title": ""})
    assert response.status_code == 302, response.content
    report = PublishedReport.objects.get()
    assert report.published_by == supervisor and report.definitions_version == DEFINITIONS_VERSION
    assert report.sha256 == hashlib.sha256(report.document.encode()).hexdigest()
    document = json.loads(report.document)
    assert document["as_of"] == (T0 + timedelta(days=3)).isoformat()
    telegram, facebook = sorted(document["figures"]["platforms"], key=lambda p: p["platform"], reverse=True)
    assert (telegram["received"], telegram["actioned"], telegram["on_time"]) == (12, 11, 11)
    assert facebook["received"] == "< 10" and facebook["on_time_share"] is None  # too few to show
    # Later events change nothing in what was published.
    with clock.frozen(T0 + timedelta(days=4)):
        transition(orders[11], "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    report.refresh_from_db()
    assert json.loads(report.document) == document
    with pytest.raises(ValidationError):
        report.save()
    with pytest.raises(ValidationError):
        report.delete()
    # The console lists it; its page shows the hash and offers no change.
    listing = client.get(reverse("admin:cases_publishedreport_changelist"))
    assert report.title in listing.content.decode()
    page = client.get(reverse("admin:cases_publishedreport_change", args=[report.pk])).content.decode()
    assert report.sha256 in page and 'name="_save"' not in page


@pytest.mark.parametrize("persona", ["analyst", "auditor"])
def test_only_a_supervisor_may_publish(request, client, orders, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse("admin:cases_publishedreport_add")).status_code == 403
    with clock.frozen(T0 + timedelta(days=3)):
        response = bearer_client(user).post("/api/v1/published-reports/", {"first_day": "2026-03-02",
                                                                           "last_day": "2026-03-03"}, format="json")
    assert response.status_code == 403
    assert not PublishedReport.objects.exists()


def test_the_api_publishes_lists_and_refuses_a_bad_period(orders, supervisor, liaison_b, anonymous):
    api = bearer_client(supervisor)
    with clock.frozen(T0 + timedelta(days=3)):
        created = api.post("/api/v1/published-reports/", {"first_day": "2026-03-02", "last_day": "2026-03-02",
                                                          "title": "Maret"}, format="json")
        assert created.status_code == 201, created.content
        assert api.post("/api/v1/published-reports/", {"first_day": "2026-03-05", "last_day": "2026-03-02"},
                        format="json").status_code == 400
        assert api.post("/api/v1/published-reports/", {"first_day": "2026-03-02", "last_day": "2027-01-01"},
                        format="json").status_code == 400
        listed = api.get("/api/v1/published-reports/").json()
    assert bearer_client(liaison_b).get("/api/v1/published-reports/").json()["results"] == []
    assert [r["title"] for r in listed["results"]] == ["Maret"]
    assert listed["results"][0]["sha256"] == created.json()["sha256"]
    assert bearer_client(None).get("/api/v1/published-reports/").status_code == 401


def test_the_public_page_is_off_unless_published(client, orders, supervisor):
    report = publish(supervisor)
    for url in (reverse("cases:transparency"), reverse("cases:transparency-report", args=[report.pk]),
                reverse("cases:transparency-csv", args=[report.pk]), "/api/v1/public/transparency/"):
        assert client.get(url).status_code == 404, url


def test_the_public_page_serves_counts_only_with_small_counts_hidden(client, settings, orders, supervisor):
    settings.PATUH_PUBLIC_TRANSPARENCY = True
    report = publish(supervisor, title="Laporan Maret")
    index = client.get(reverse("cases:transparency")).content.decode()
    assert "Laporan Maret" in index
    page = client.get(reverse("cases:transparency-report", args=[report.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "<script" not in html and "<svg" in html
    assert report.sha256 in html and "&lt; 10" in html
    body = client.get(reverse("cases:transparency-json", args=[report.pk])).content
    assert hashlib.sha256(body).hexdigest() == report.sha256
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("cases:transparency-csv", args=[report.pk]))
                                           .content.decode())))
    assert {(r["platform"], r["received"]) for r in rows} == {("Telegram", "12"), ("Facebook", "< 10")}
    api_rows = client.get("/api/v1/public/transparency/").json()
    assert {(r["platform"], r["received"]) for r in api_rows} == {("Telegram", 12), ("Facebook", "< 10")}
    text = html + body.decode() + json.dumps(api_rows)
    for case in orders:
        assert case.reference not in text and case.location_url not in text
    assert "t.me" not in text and "facebook.com" not in text


def test_the_threshold_is_a_setting(settings, orders, supervisor):
    settings.PATUH_PUBLIC_MIN_COUNT = 1
    document = json.loads(publish(supervisor).document)
    assert {p["platform"]: p["received"] for p in document["figures"]["platforms"]} == {"Telegram": 12,
                                                                                          "Facebook": 1}
