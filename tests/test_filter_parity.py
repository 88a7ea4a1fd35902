"""One FilterSet for the consoles and the API (issue 19): a query string copied from a console's case list gives
the same cases from /api/v1/cases/ for the same user, per persona, for several filters combined with search; the
console's list filters are the FilterSet's, under its names; old console URLs are redirected to them."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from cases.cases.services.cases import assign_case
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Category
from cases.core.filtersets import CaseFilterSet
from tests.conftest import SharedWorld

MINISTRY_LIST = "/admin/cases/case/"
PLATFORM_LIST = "/platform/cases/case/"


@pytest.fixture
def cases(make_case, platform_a, platform_b, analyst, supervisor, liaison_a, liaison_b):
    """Cases of A and B, for one test (tests/test_browser_filters.py's too); `TestCasesOfAAndB` shares one set."""
    return build_cases(make_case, platform_b, analyst, supervisor, liaison_a)


def build_cases(make_case, platform_b, analyst, supervisor, liaison_a):
    a1 = make_case(submit=True, category=Category.TERRORISM, url="https://t.me/jihad_news/1", handle="jihad_news",
                   assigned_to=analyst)
    a2 = make_case(submit=True, url="https://t.me/hoax_daily/2")
    transition(a2, "acknowledge", actor=liaison_a)
    a3 = make_case(submit=True, url="https://t.me/hoax_daily/3", assigned_to=supervisor)
    transition(a3, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    a4 = make_case(url="https://t.me/jihad_news/9")  # a draft: the ministry's only
    b1 = make_case(submit=True, platform=platform_b, url="https://facebook.com/groups/jihad_news/1",
                   assigned_to=analyst)
    b2 = make_case(submit=True, platform=platform_b, category=Category.GAMBLING, url="https://facebook.com/slot88",
                   native_id="9988776655")
    assign_case(b2, actor=supervisor, assignee=supervisor)
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "b1": b1, "b2": b2}


def _today() -> str:
    return timezone.localtime(clock.now()).date().isoformat()


QUERIES = [
    "q=jihad_news",
    "q=jihad_news&status=submitted",
    "category=hoax&awaiting=true",
    "awaiting=false&tier=standard",
    "awaiting=",
    "assigned_to_me=true&q=t.me",
    "assigned_to_me=false&category=hoax&category=gambling",
    "deadline_state=on_time&q=jihad",
    "deadline_state=overdue",
    "platform=telegram&status=acknowledged&status=actioned",
    "submitted_from={today}&submitted_to={today}&q=/1",
    "submitted_to=2020-01-01",
    "q=9988776655&awaiting=true",
    "q={a2_ref}&source=ministry",
    "reupload=false&recheck=&q=hoax_daily",
]

# What each persona should see for a few of them: the comparison below is not between two empty lists.
EXPECTED = {
    ("analyst", "q=jihad_news"): {"a1", "a4", "b1"},
    ("liaison_a", "q=jihad_news"): {"a1"},
    ("liaison_b", "q=jihad_news"): {"b1"},
    ("analyst", "assigned_to_me=true&q=t.me"): {"a1"},
    ("supervisor", "assigned_to_me=true&q=t.me"): {"a3"},
    ("liaison_a", "assigned_to_me=true&q=t.me"): set(),
    ("analyst", "category=hoax&awaiting=true"): {"a2", "b1"},
    ("liaison_a", "category=hoax&awaiting=true"): {"a2"},
    ("supervisor", "platform=telegram&status=acknowledged&status=actioned"): {"a2", "a3"},
    ("liaison_a", "awaiting="): {"a1", "a2", "a3"},
    ("liaison_b", "q=9988776655&awaiting=true"): {"b2"},
    ("analyst", "submitted_from={today}&submitted_to={today}&q=/1"): {"a1", "b1"},
    ("analyst", "submitted_to=2020-01-01"): set(),
    ("liaison_a", "q={a2_ref}&source=ministry"): {"a2"},
}


def _console_refs(client, url: str) -> set[str] | None:
    """The references the console's list shows; None when it refuses the query string (as the API does)."""
    response = client.get(url)
    if response.status_code == 302 and response["Location"].endswith("?e=1"):
        return None
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    changelist = response.context["cl"]
    assert changelist.result_count == len(changelist.result_list)  # one page: everything shown
    return {case.reference for case in changelist.result_list}


def _api_refs(client, query: str) -> set[str] | None:
    response = client.get(f"/api/v1/cases/?{query}")
    if response.status_code == 400:
        return None
    assert response.status_code == 200, (query, response.json())
    body = response.json()
    assert body["next"] is None
    return {row["reference"] for row in body["results"]}


def _console_ids(client, url: str) -> set[int] | None:
    response = client.get(url)
    if response.status_code == 302 and response["Location"].endswith("?e=1"):
        return None
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))
    return {row.pk for row in response.context["cl"].result_list}


def _api_ids(client, url: str) -> set[int] | None:
    response = client.get(url)
    if response.status_code == 400:
        return None
    assert response.status_code == 200, (url, response.content)
    return {row["id"] for row in response.json()["results"]}


LEGACY = [
    ("deadline=on_time&status__exact=submitted", {"deadline_state": ["on_time"], "status": ["submitted"]}),
    ("mine=1&category__exact=hoax&tier__exact=standard",
     {"assigned_to_me": ["true"], "category": ["hoax"], "tier": ["standard"]}),
    ("mine=0&source__exact=ministry", {"assigned_to_me": ["false"], "source": ["ministry"]}),
    ("submitted_at__from=2026-01-01&submitted_at__to=2026-12-31&q=t.me",
     {"submitted_from": ["2026-01-01"], "submitted_to": ["2026-12-31"], "q": ["t.me"]}),
    ("status__in=submitted,acknowledged&platform=telegram",
     {"status": ["submitted", "acknowledged"], "platform": ["telegram"]}),
    ("recheck=still_live", None),  # the dashboard's link already speaks the FilterSet's language
    ("reupload=true", None),
]


# --- evidence of cases a1 and b1, for the evidence tests of `TestCasesOfAAndB` (below) ------------------------------


@pytest.fixture
def evidence(cases, analyst):
    from cases.core.choices import EvidenceKind, Visibility
    from cases.evidence.services.evidence import withdraw_evidence
    from tests.test_evidence_support import png_variant, upload

    a1, b1 = cases["a1"], cases["b1"]
    items = {
        "shot": upload(a1, analyst, "channel-shot.png", png_variant(b"1")),
        "shared": upload(a1, analyst, "channel-shared.png", png_variant(b"2"), visibility=Visibility.SHARED),
        "gone": upload(a1, analyst, "wrong-shot.png", png_variant(b"3"), visibility=Visibility.SHARED),
        "text": upload(a1, analyst, "notes.txt", b"Seen at 10:00.", kind=EvidenceKind.DOCUMENT),
        "other": upload(b1, analyst, "group-shot.png", png_variant(b"4")),
    }
    withdraw_evidence(items["gone"], actor=analyst, reason="The wrong page.")
    return items


EVIDENCE_QUERIES = ["", "kind=screenshot", "visibility=shared&withdrawn=false", "withdrawn=true",
                    "content_type=image/png&content_type=text/plain&q=shot", "kind=document&visibility=internal",
                    "q={sha}", "visibility=secret"]


class TestCasesOfAAndB(SharedWorld):
    """The tests that only read `cases`: built once for all of them (tests/conftest.py, `SharedWorld`). Each runs
    in its own savepoint (the evidence of `evidence`, a session's rows, are gone before the next one starts)."""

    @pytest.fixture(scope="class")
    @classmethod
    def cases(cls, make_case, platform_b, analyst, supervisor, liaison_a):
        return build_cases(make_case, platform_b, analyst, supervisor, liaison_a)

    @pytest.mark.parametrize("persona", ["analyst", "supervisor", "liaison_a", "liaison_b"])
    def test_a_console_query_string_gives_the_same_cases_through_the_api(self, client, request, cases, persona):
        user = request.getfixturevalue(persona)
        client.force_login(user)
        console = PLATFORM_LIST if persona.startswith("liaison") else MINISTRY_LIST
        names = {case.reference: name for name, case in cases.items()}
        refused = 0
        for template in QUERIES:
            query = template.format(today=_today(), a2_ref=cases["a2"].reference.lower())
            shown = _console_refs(client, f"{console}?{query}")
            assert _api_refs(client, query) == shown, (persona, query)
            refused += shown is None
            if (persona, template) in EXPECTED:
                assert {names[ref] for ref in shown} == EXPECTED[(persona, template)], (persona, query)
        # Only liaison B is refused anything: `platform=telegram` names a platform that is not theirs (a 400 in both).
        assert refused == (1 if persona == "liaison_b" else 0)

    def test_liaisons_see_only_their_platform_whatever_the_filters(self, client, cases, liaison_a, liaison_b):
        """The filters narrow the user's scope, never widen it: B's slug is not a choice for A, in either place."""
        for liaison, own, other in ((liaison_a, {"a1", "a2", "a3"}, "facebook"), (liaison_b, {"b1", "b2"}, "telegram")):
            client.force_login(liaison)
            names = {case.reference: name for name, case in cases.items()}
            assert {names[r] for r in _console_refs(client, f"{PLATFORM_LIST}?awaiting=")} == own
            assert {names[r] for r in _api_refs(client, "awaiting=")} == own
            api = client.get(f"/api/v1/cases/?platform={other}")
            assert api.status_code == 400 and "platform" in api.json()["error"]["fields"]
            console = client.get(f"{PLATFORM_LIST}?platform={other}", follow=True)
            assert console.redirect_chain[0] == (f"{PLATFORM_LIST}?e=1", 302)
            body = console.content.decode()
            assert f"latform: Select a valid choice. {other} is not one of the available choices" in body
            assert not any(cases[n].reference in body for n in cases if n not in own)
            # A ministry-only lead (the still-live flag) finds nothing for a liaison, in either place.
            assert _api_refs(client, "recheck=still_live") == set()

    def test_the_console_filters_are_the_filtersets(self, client, cases, analyst, liaison_a):
        """Every FilterSet parameter is a filter of the ministry's case list (the search box is `q`), and its links
        carry the FilterSet's names."""
        client.force_login(analyst)
        page = client.get(f"{MINISTRY_LIST}?awaiting=true")
        changelist = page.context["cl"]
        offered = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
        assert offered | {"q"} == set(CaseFilterSet.base_filters)
        body = page.content.decode()
        for link in ("?awaiting=true&amp;deadline_state=on_time", "?assigned_to_me=true&amp;awaiting=true",
                     "?awaiting=true&amp;platform=telegram", "?awaiting=true&amp;status=draft"):
            assert link in body, link
        assert 'name="submitted_from"' in body and 'name="q"' in body
        # Django's "show counts": each choice with the rows it would give, the other filters in force.
        body = client.get(f"{MINISTRY_LIST}?awaiting=true&q=jihad&_facets=True").content.decode()
        assert "assigned to me (2)" in body and "unassigned (0)" in body and "Facebook (1)" in body
        # The liaison's inbox offers no draft status and none of the ministry's own filters.
        client.force_login(liaison_a)
        body = client.get(f"{PLATFORM_LIST}?awaiting=true").content.decode()
        assert "?awaiting=true&amp;status=submitted" in body and "status=draft" not in body
        assert "assigned_to_me=" not in body and "recheck=" not in body

    @pytest.mark.parametrize(("old", "new"), LEGACY)
    def test_old_console_urls_are_redirected_to_the_filtersets_names(self, client, cases, analyst, old, new):
        client.force_login(analyst)
        response = client.get(f"{MINISTRY_LIST}?{old}")
        if new is None:
            assert response.status_code == 200
            return
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == MINISTRY_LIST and parse_qs(location.query, keep_blank_values=True) == new
        assert client.get(response["Location"]).status_code == 200

    def test_old_platform_filters_by_id_and_the_inbox_defaults_redirect(self, client, cases, analyst, liaison_a,
                                                                        platform_a, platform_b):
        client.force_login(analyst)
        response = client.get(f"{MINISTRY_LIST}?platform__id__exact={platform_b.pk}&deadline=on_time")
        assert parse_qs(urlsplit(response["Location"]).query) == {"platform": ["facebook"],
                                                                 "deadline_state": ["on_time"]}
        client.force_login(liaison_a)
        # B's id is not A's to name: left as it was, it filters A's scoped rows by id and finds nothing.
        hidden = client.get(f"{PLATFORM_LIST}?platform__id__exact={platform_b.pk}&awaiting=")
        assert hidden.status_code == 200 and hidden.context["cl"].result_count == 0
        assert client.get(PLATFORM_LIST)["Location"] == f"{PLATFORM_LIST}?awaiting=true"
        assert client.get(f"{PLATFORM_LIST}?o=3")["Location"] == f"{PLATFORM_LIST}?o=3&awaiting=true"
        assert client.get(f"{PLATFORM_LIST}?show=all")["Location"] == f"{PLATFORM_LIST}?awaiting="
        assert client.get(f"{PLATFORM_LIST}?q=t.me").status_code == 200  # a search alone: every case of the platform

    def test_a_bad_value_is_refused_in_both_places(self, client, cases, analyst):
        client.force_login(analyst)
        for query in ("assigned_to_me=yes", "submitted_from=2026-13-01", "deadline_state=soon", "platform=nowhere"):
            assert client.get(f"/api/v1/cases/?{query}").status_code == 400, query
            console = client.get(f"{MINISTRY_LIST}?{query}", follow=True)
            assert console.redirect_chain == [(f"{MINISTRY_LIST}?e=1", 302)], query  # Django's page for a bad filter
            assert "errornote" in console.content.decode() or "messagelist" in console.content.decode()

    # --- evidence: the console's list of all evidence, the API's list of one case's --------------------------------

    @pytest.mark.parametrize("persona", ["analyst", "supervisor"])
    def test_the_evidence_list_and_a_cases_evidence_in_the_api_agree(self, client, request, cases, evidence, persona):
        client.force_login(request.getfixturevalue(persona))
        a1 = cases["a1"].reference
        sizes = {}
        for template in EVIDENCE_QUERIES:
            query = template.format(sha=evidence["shared"].sha256.upper())
            # The console lists every case's evidence: the case's reference in its search box narrows it to one case.
            console_query = f"{query}&q={a1}" if "q=" not in query else query
            shown = _console_ids(client, f"/admin/cases/evidence/?{console_query}")
            api = _api_ids(client, f"/api/v1/cases/{a1}/evidence/?{query}")
            if shown is not None and "q=" in query:
                shown = {pk for pk in shown if pk in {e.pk for e in evidence.values() if e.case_id == cases["a1"].pk}}
            assert api == shown, (persona, query)
            sizes[template] = None if shown is None else len(shown)
        assert sizes == {"": 4, "kind=screenshot": 3, "visibility=shared&withdrawn=false": 1, "withdrawn=true": 1,
                         "content_type=image/png&content_type=text/plain&q=shot": 2,
                         "kind=document&visibility=internal": 1, "q={sha}": 1, "visibility=secret": None}

    def test_old_evidence_filters_redirect_and_a_liaison_sees_no_withdrawn_item(self, client, cases, evidence, analyst,
                                                                                liaison_a):
        client.force_login(analyst)
        response = client.get("/admin/cases/evidence/?withdrawn_at__isempty=0&kind__exact=screenshot")
        assert parse_qs(urlsplit(response["Location"]).query) == {"withdrawn": ["true"], "kind": ["screenshot"]}
        assert _console_ids(client, response["Location"]) == {evidence["gone"].pk}
        client.force_login(liaison_a)
        a1 = cases["a1"].reference
        assert _api_ids(client, f"/api/v1/cases/{a1}/evidence/?withdrawn=true") == set()
        assert _api_ids(client, f"/api/v1/cases/{a1}/evidence/?withdrawn=false") == {evidence["shared"].pk}

    # --- the audit trail -----------------------------------------------------------------------------------------

    @pytest.mark.parametrize("persona", ["analyst", "auditor"])
    def test_the_audit_trail_and_a_cases_timeline_in_the_api_agree(self, client, request, cases, persona):
        """The console's trail of every case, narrowed to one by its search box, against the API's timeline."""
        from cases.models import CaseEvent

        client.force_login(request.getfixturevalue(persona))
        a2 = cases["a2"].reference
        sizes = []
        for query in ["", "kind=submitted&kind=acknowledged", "visibility=internal", "visibility=shared&kind=created"]:
            shown = _console_ids(client, f"/admin/cases/caseevent/?{query}&q={a2.lower()}")
            assert _api_ids(client, f"/api/v1/cases/{a2}/events/?{query}") == shown, (persona, query)
            sizes.append(len(shown))
        assert sizes == [3, 2, 1, 0] and CaseEvent.objects.filter(case=cases["a2"]).count() == 3
        assert _console_ids(client, "/admin/cases/caseevent/?q=liaison_a") == set(
            CaseEvent.objects.filter(actor_name__icontains="liaison_a").values_list("pk", flat=True)) != set()


# --- sanctions, commitments and meetings: the same FilterSet drives their console lists too --------------------


@pytest.fixture(scope="class")
def resources(platform_a, platform_b, supervisor):
    """Meetings, commitments and sanctions of A and B, built once for the tests of `TestResources`."""
    from cases.core.choices import CommitmentKind, CommitmentOwner, SanctionLevel
    from cases.models import Commitment, Meeting
    from cases.sanctions.services.sanctions import issue_sanction, propose_sanction

    meeting_a = Meeting.objects.create(title="Telegram moderation review", held_on="2017-08-01",
                                       minutes="Local moderators agreed.")
    meeting_a.platforms.set([platform_a])
    joint = Meeting.objects.create(title="Joint hoax workshop", held_on="2017-08-04")
    joint.platforms.set([platform_a, platform_b])
    meeting_b = Meeting.objects.create(title="Facebook moderation review", held_on="2018-02-02")
    meeting_b.platforms.set([platform_b])
    Commitment.objects.create(meeting=meeting_a, platform=platform_a, kind=CommitmentKind.LOCAL_MODERATORS,
                              text="Moderator berbahasa Indonesia")
    Commitment.objects.create(meeting=meeting_a, platform=platform_a, kind=CommitmentKind.LOCAL_TEAM,
                              text="Tim lokal", owner=CommitmentOwner.MINISTRY)
    Commitment.objects.create(meeting=meeting_b, platform=platform_b, kind=CommitmentKind.LOCAL_MODERATORS,
                              text="Moderator lokal")
    issued = propose_sanction(platform=platform_a, level=SanctionLevel.WARNING_1, actor=supervisor, reason="Six.",
                              content_category="hoax")
    issue_sanction(issued, actor=supervisor, letter_reference="W1/2026/1")
    propose_sanction(platform=platform_a, level=SanctionLevel.WARNING_2, actor=supervisor, reason="Seven.",
                     content_category="hoax")
    b = propose_sanction(platform=platform_b, level=SanctionLevel.WARNING_1, actor=supervisor, reason="Eight.",
                         content_category="hoax")
    issue_sanction(b, actor=supervisor, letter_reference="W1/2026/2")


RESOURCE_QUERIES = {
    "sanction": ["", "status=issued", "status=proposed&level=2", "platform=telegram&level=1&level=2", "level=3"],
    "commitment": ["", "q=moderator", "q=moderator&platform=facebook", "kind=local_team&owner=ministry",
                   "status=open&measured=false", "owner=platform&q=lokal"],
    "meeting": ["", "q=moderation", "held_from=2018-01-01", "platform=telegram&q=review",
                "held_from=2017-01-01&held_to=2017-12-31&q=hoax"],
}


class TestResources(SharedWorld):
    """The tests that only read `resources`, built once for all of them."""

    @pytest.mark.parametrize("persona", ["analyst", "supervisor", "liaison_a", "liaison_b"])
    def test_sanction_commitment_and_meeting_lists_give_the_api_the_same_rows(self, client, request, resources,
                                                                              persona):
        client.force_login(request.getfixturevalue(persona))
        console = "/platform" if persona.startswith("liaison") else "/admin"
        counts = {}
        for model, queries in RESOURCE_QUERIES.items():
            for query in queries:
                shown = _console_ids(client, f"{console}/cases/{model}/?{query}")
                assert _api_ids(client, f"/api/v1/{model}s/?{query}") == shown, (persona, model, query)
                counts[(model, query)] = None if shown is None else len(shown)
        expected = RESOURCE_COUNTS.get(persona, {})
        assert {key: counts[key] for key in expected} == expected


# How many rows some of them show: the filters and searches narrow, scoping holds (B's rows are not A's).
RESOURCE_COUNTS = {
    "analyst": {("sanction", "status=issued"): 2, ("sanction", "status=proposed&level=2"): 1,
                ("commitment", "q=moderator"): 2, ("commitment", "q=moderator&platform=facebook"): 1,
                ("commitment", "status=open&measured=false"): 3, ("meeting", "held_from=2018-01-01"): 1,
                ("meeting", "held_from=2017-01-01&held_to=2017-12-31&q=hoax"): 1},
    "liaison_a": {("sanction", ""): 1, ("sanction", "status=proposed&level=2"): 0, ("commitment", ""): 2,
                  ("commitment", "q=moderator"): 1, ("commitment", "q=moderator&platform=facebook"): None,
                  ("meeting", ""): 1, ("meeting", "held_from=2017-01-01&held_to=2017-12-31&q=hoax"): 0},
    "liaison_b": {("sanction", ""): 1, ("commitment", "q=moderator"): 1, ("meeting", "platform=telegram&q=review"):
                  None},
}


# --- webhook endpoints and deliveries ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["analyst", "liaison_a", "liaison_b"])
def test_webhook_lists_give_the_api_the_same_rows(client, request, make_case, platform_a, platform_b, liaison_a,
                                                   liaison_b, persona):
    from cases.api.services import webhooks
    from cases.models import WebhookDelivery
    from tests.test_webhooks import PUBLIC_URL

    endpoint_a = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                          event_types=["case.submitted"])
    webhooks.create_endpoint(actor=liaison_b, platform=platform_b, url=PUBLIC_URL, event_types=["case.submitted"])
    case_a = make_case(submit=True)
    make_case(submit=True)
    make_case(submit=True, platform=platform_b, url="https://facebook.com/x/1")
    WebhookDelivery.objects.filter(case=case_a).update(status="delivered")
    client.force_login(request.getfixturevalue(persona))
    console = "/platform" if persona.startswith("liaison") else "/admin"
    counts = {}
    for model, api, query in [
        ("webhookendpoint", "webhooks", ""), ("webhookendpoint", "webhooks", "is_active=true&platform=telegram"),
        ("webhookdelivery", "webhook-deliveries", ""), ("webhookdelivery", "webhook-deliveries", "status=pending"),
        ("webhookdelivery", "webhook-deliveries", f"endpoint={endpoint_a.pk}&event_type=case.submitted"),
        ("webhookdelivery", "webhook-deliveries", f"q={case_a.reference.lower()}"),
    ]:
        shown = _console_ids(client, f"{console}/cases/{model}/?{query}")
        assert _api_ids(client, f"/api/v1/{api}/?{query}") == shown, (persona, model, query)
        counts[(model, query)] = None if shown is None else len(shown)
    # Liaison B: A's endpoint id and A's case reference find nothing; platform=telegram is not B's to name.
    expected = {"analyst": [2, 1, 3, 2, 2, 1], "liaison_a": [1, 1, 2, 1, 2, 1], "liaison_b": [1, None, 1, 1, 0, 0]}
    assert list(counts.values()) == expected[persona]
    old = client.get(f"{console}/cases/webhookdelivery/?endpoint__id__exact={endpoint_a.pk}")
    assert old["Location"] == f"{console}/cases/webhookdelivery/?endpoint={endpoint_a.pk}"


@pytest.mark.parametrize("persona", ["analyst", "supervisor"])
def test_the_platform_list_gives_the_api_the_same_platforms(client, request, platform_a, platform_b, persona):
    from cases.models import Platform

    Platform.objects.filter(pk=platform_a.pk).update(kind="messaging", business_scale="very_large")
    Platform.objects.filter(pk=platform_b.pk).update(kind="social_media", business_scale="very_large")
    client.force_login(request.getfixturevalue(persona))
    for query, expected in [("", {"telegram", "facebook"}), ("kind=messaging", {"telegram"}),
                            ("business_scale=very_large&q=book", {"facebook"}), ("q=TELE", {"telegram"})]:
        page = client.get(f"/admin/cases/platform/?{query}")
        assert page.status_code == 200, query
        shown = {p.slug for p in page.context["cl"].result_list}
        api = {row["slug"] for row in client.get(f"/api/v1/platforms/?{query}").json()["results"]}
        assert shown == api == expected, query
    page = client.get("/admin/cases/platform/?kind=messaging").content.decode()
    assert 'data-filter-parameter="kind"' in page and "By platform type" in page  # the model field names it


@pytest.mark.parametrize("persona", ["analyst", "liaison_a", "liaison_b"])
def test_due_soon_gives_the_same_cases_in_the_console_and_the_api(client, request, make_case, platform_b, persona):
    """`deadline_state=due_soon` depends on the clock: in the last hour before its deadline a case is due soon,
    before that on time, after it (once the sweeper has marked it, within a minute) overdue. Checked at two
    instants, in the console and the API alike, per persona, each seeing only what is theirs."""
    from datetime import timedelta

    import time_machine

    from cases.cases.services.sweeper import sweep

    start = clock.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        early = make_case(submit=True)  # standard tier: 24 hours
        traveller.shift(timedelta(hours=2))
        later = make_case(submit=True)
        b = make_case(submit=True, platform=platform_b, url="https://facebook.com/b/1")
        user = request.getfixturevalue(persona)
        console = PLATFORM_LIST if persona.startswith("liaison") else MINISTRY_LIST
        visible = {"analyst": {early, later, b}, "liaison_a": {early, later}, "liaison_b": {b}}[persona]

        def at(instant):  # a new session: a session ends 12 hours after its login
            traveller.move_to(instant)
            sweep()
            client.force_login(user)

        def both(query):
            shown = _console_refs(client, f"{console}?{query}")
            assert _api_refs(client, query) == shown, (persona, query)
            return shown

        def refs(*cases):
            return {case.reference for case in cases if case in visible}

        at(start + timedelta(hours=23, minutes=30))  # the first is due within the hour, the others are not
        assert both("deadline_state=due_soon") == refs(early)
        assert both("deadline_state=on_time") == refs(later, b)
        at(start + timedelta(hours=25, minutes=30))  # the first is overdue; the others are due within the hour
        assert both("deadline_state=due_soon") == refs(later, b)
        assert both("deadline_state=overdue") == refs(early)
