"""Time entry a foreign liaison gets right, and one date-time form per language (issue 13, item 4).

The liaison types the action time as their own clock shows it and picks the zone next to it; Patuh stores the
instant (UTC) and shows it everywhere in Jakarta time, in one format per language.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from cases.core import clock
from cases.core.choices import CaseStatus, EventKind
from cases.models import Case
from tests.test_languages import pages  # noqa: F401 (the main pages of both consoles, a fixture)

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 17.00 WIB; 10.00 in Dublin (GMT); 02.00 in Los Angeles (PST)


@pytest.fixture
def submitted(make_case):
    with clock.frozen(NOW - timedelta(hours=2)):  # submitted 08.00 UTC (15.00 WIB)
        return make_case(submit=True)


def _report(client, case, when, zone=None, **extra):
    url = reverse("platform:cases_case_transition", args=[case.pk, "report_action"])
    data = {"version": case.version, "action_taken": "removed", "action_taken_at": when, **extra}
    if zone is not None:
        data["action_time_zone"] = zone
    with clock.frozen(NOW):
        return client.post(url, data)


def test_the_form_defaults_to_now_and_shows_its_zone(client, submitted, liaison_a):
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_transition", args=[submitted.pk, "report_action"])
    with clock.frozen(NOW):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="2026-12-01T17:00"' in page  # now, in Jakarta time
    selected = re.search(r'<select name="action_time_zone"[^>]*>.*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="Asia/Jakarta" selected>Western Indonesia \(WIB', selected)
    for zone in ("Asia/Makassar", "Asia/Jayapura", "UTC", "Europe/Dublin", "America/Los_Angeles", "Asia/Dubai",
                 "Asia/Singapore", "Pacific/Auckland"):
        assert f'value="{zone}"' in selected


@pytest.mark.parametrize("lang,shown", [("id", "1 Des 2026 16.00 WIB"), ("en", "1 Dec 2026 16:00 WIB")])
def test_liaison_a_enters_dublin_time_and_the_ministry_sees_jakarta_time(client, submitted, make_case, liaison_a,
                                                                         analyst, lang, shown):
    client.force_login(liaison_a)
    response = _report(client, submitted, "2026-12-01T09:00", "Europe/Dublin")
    assert response.status_code == 302, response.content.decode()[:3000]
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.ACTIONED
    assert submitted.action_taken_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 09.00 GMT is 09.00 UTC
    assert submitted.cycles.get().action_taken_at == submitted.action_taken_at
    # The next report form starts in the zone the liaison used, at now on a Dublin clock.
    with clock.frozen(NOW):
        other = make_case(submit=True)
        again = client.get(reverse("platform:cases_case_transition", args=[other.pk, "report_action"]))
    assert re.search(r'<option value="Europe/Dublin" selected>', again.content.decode())
    assert 'value="2026-12-01T10:00"' in again.content.decode()
    client.force_login(analyst)
    page = client.get(reverse("admin:cases_case_change", args=[submitted.pk]), HTTP_ACCEPT_LANGUAGE=lang)
    assert shown in page.content.decode()


def test_summer_time_in_dublin_is_an_hour_ahead_of_utc(client, make_case, liaison_a):
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with clock.frozen(summer - timedelta(hours=6)):
        case = make_case(submit=True)
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_transition", args=[case.pk, "report_action"])
    with clock.frozen(summer):
        response = client.post(url, {"version": case.version, "action_taken": "removed",
                                     "action_taken_at": "2026-07-01T09:00", "action_time_zone": "Europe/Dublin"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.action_taken_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # IST is UTC+1


def test_without_a_zone_the_time_is_jakarta_time(client, submitted, liaison_a):
    client.force_login(liaison_a)
    assert _report(client, submitted, "2026-12-01T16:30").status_code == 302
    submitted.refresh_from_db()
    assert submitted.action_taken_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("when,zone,message", [
    # 09.00 in Los Angeles is 17.00 UTC: still in the future at 10.00 UTC (while 09.00 in Dublin is not).
    ("2026-12-01T09:00", "America/Los_Angeles", "may not be in the future"),
    ("yesterday", "Europe/Dublin", "Enter a valid date/time"),
    ("2026-02-30T09:00", "UTC", "Enter a valid date/time"),
    ("", "UTC", "This field is required"),
    ("2026-12-01T09:00", "Mars/Olympus_Mons", "Select a valid choice"),
    ("2026-12-01T01:00", "Asia/Jakarta", "before the case was submitted"),
])
def test_bad_action_times_are_refused_and_nothing_is_saved(client, submitted, liaison_a, when, zone, message):
    client.force_login(liaison_a)
    response = _report(client, submitted, when, zone, note="Channel closed.")
    assert response.status_code == 200
    assert message in response.content.decode(), response.content.decode()[:3000]
    submitted.refresh_from_db()
    assert submitted.status == CaseStatus.SUBMITTED and submitted.action_taken_at is None
    assert not submitted.events.filter(kind=EventKind.ACTION_REPORTED).exists()


def test_a_time_the_clocks_skipped_is_refused(client, make_case, liaison_a):
    # Ireland went from 01.00 to 02.00 GMT on 29 March 2026: 01.30 never happened in Dublin.
    with clock.frozen(datetime(2026, 3, 28, 12, 0, tzinfo=UTC)):
        case = make_case(submit=True)
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_transition", args=[case.pk, "report_action"])
    with clock.frozen(datetime(2026, 3, 29, 6, 0, tzinfo=UTC)):
        response = client.post(url, {"version": case.version, "action_taken": "removed",
                                     "action_taken_at": "2026-03-29T01:30", "action_time_zone": "Europe/Dublin"},
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "does not exist in Europe/Dublin" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_liaison_b_cannot_report_on_platform_a_s_case(client, submitted, liaison_b):
    client.force_login(liaison_b)
    response = _report(client, submitted, "2026-12-01T09:00", "Europe/Dublin")
    assert response.status_code == 404
    assert Case.objects.get(pk=submitted.pk).status == CaseStatus.SUBMITTED


# --- one date-time form per language -------------------------------------------------------------------------

FORMS = {
    "id": re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4} \d{2}\.\d{2} WIB\b"),
    "en": re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2} WIB\b"),
}
# Any other way of writing a time of day next to a date: ISO-ish "2026-12-01 11:06", "a.m."/"p.m.", "Dec. 1, 2026".
OTHER_FORMS = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\b[ap]\.m\.|\b(?:midnight|noon)\b|"
                         r"\b\w{3}\. \d{1,2}, \d{4}|(?<![\w-])\d{1,2}-\d{2}-\d{4}(?![\w-])")


@pytest.mark.parametrize("language", ["id", "en"])
def test_main_pages_show_one_date_time_form(client, supervisor, liaison_a, pages, language):  # noqa: F811
    from tests.test_languages import visible_text

    found, others = 0, {}
    for user, paths in ((supervisor, pages["ministry"]), (liaison_a, pages["platform"])):
        client.force_login(user)
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            text = visible_text(response.content.decode())
            found += len(FORMS[language].findall(text))
            if bad := OTHER_FORMS.findall(text) or FORMS["en" if language == "id" else "id"].findall(text):
                others[path] = bad
    assert found >= 10  # the pages do show times (timelines, cycles, lists)
    assert not others, others
