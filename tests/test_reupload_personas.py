"""Re-upload matches per persona: who sees which match (API, case list filter, console), who decides, and what the
decision leaves in the audit trail.

The world: Telegram (platform A) has an earlier case A1 with a flyer and a later case A2 with a re-encoded copy;
Facebook (platform B) has a case B1 with a resized copy, which matches both of A's. The analyst confirms A2 ~ A1 and
B1 ~ A1, and leaves B1 ~ A2 pending.
"""

import pytest
from django.core.exceptions import PermissionDenied

from cases.cases.models.events import CaseEvent as CaseEventModel
from cases.core import audit
from cases.core.choices import CustodyKind, EventKind, Visibility
from cases.evidence.services import hashing
from cases.models import CaseEvent, CustodyEvent, HashMatch, MatchDecision
from tests.reupload_images import encode, jpeg_q40, poster, resized
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401
from tests.test_evidence_support import upload, use_temporary_evidence_root  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db

FLYER = poster(11)


def shared(case, actor, name, data):
    evidence = upload(case, actor, name, data, visibility=Visibility.SHARED)
    hashing.hash_evidence(evidence.pk)
    return evidence


@pytest.fixture
def world(make_case, analyst, platform_a, platform_b):
    a1, a2 = make_case(submit=True), make_case(submit=True)
    b1 = make_case(submit=True, platform=platform_b, url="https://facebook.com/reposted/1")
    e_a1 = shared(a1, analyst, "flyer.png", encode(FLYER))
    e_a2 = shared(a2, analyst, "flyer.jpg", jpeg_q40(FLYER))
    e_b1 = shared(b1, analyst, "flyer-small.png", resized(FLYER, 0.5))
    a2_a1 = HashMatch.objects.get(evidence=e_a2, matched_evidence=e_a1)
    b1_a1 = HashMatch.objects.get(evidence=e_b1, matched_evidence=e_a1)
    b1_a2 = HashMatch.objects.get(evidence=e_b1, matched_evidence=e_a2)
    hashing.decide_match(a2_a1, actor=analyst, decision=MatchDecision.CONFIRMED, note="Same flyer, re-encoded.")
    hashing.decide_match(b1_a1, actor=analyst, decision=MatchDecision.CONFIRMED)
    return {"a1": a1, "a2": a2, "b1": b1, "e_a1": e_a1, "e_a2": e_a2, "e_b1": e_b1,
            "a2_a1": a2_a1, "b1_a1": b1_a1, "b1_a2": b1_a2}


def api_matches(user, evidence):
    response = bearer_client(user).get(f"/api/v1/evidence/{evidence.pk}/")
    assert response.status_code == 200, response.content
    return response.json()["matches"], response.content.decode()


def reupload_list(user, value="true"):
    response = bearer_client(user).get("/api/v1/cases/", {"reupload": value})
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_the_analyst_sees_every_match_with_case_distance_and_decision(world, analyst):
    matches, _ = api_matches(analyst, world["e_a2"])
    by_case = {m["case"]: m for m in matches}
    assert set(by_case) == {world["a1"].reference, world["b1"].reference}
    earlier = by_case[world["a1"].reference]
    assert earlier["relation"] == "earlier_evidence" and earlier["evidence"] == world["e_a1"].pk
    assert earlier["decision"] == "confirmed" and earlier["distance"] == world["a2_a1"].distance <= 31
    later = by_case[world["b1"].reference]
    assert (later["relation"], later["decision"]) == ("later_evidence", "pending")


def test_a_liaison_sees_only_confirmed_matches_between_their_own_platforms_evidence(world, liaison_a):
    matches, body = api_matches(liaison_a, world["e_a2"])
    assert [(m["case"], m["decision"]) for m in matches] == [(world["a1"].reference, "confirmed")]
    assert world["b1"].reference not in body  # B's confirmed and pending matches stay out
    matches, body = api_matches(liaison_a, world["e_a1"])
    assert [m["case"] for m in matches] == [world["a2"].reference]
    assert world["b1"].reference not in body and "facebook" not in body.lower()


def test_a_liaison_never_sees_a_match_that_involves_another_platforms_evidence(world, liaison_b):
    matches, body = api_matches(liaison_b, world["e_b1"])
    assert matches == []  # B1 ~ A1 is confirmed, but A1 is Telegram's
    assert world["a1"].reference not in body and world["a2"].reference not in body
    assert bearer_client(liaison_b).get(f"/api/v1/evidence/{world['e_a1'].pk}/").status_code == 404
    # Nor through the filter: B1 is a confirmed re-upload, of a case B may not know about.
    assert world["b1"].reference not in reupload_list(liaison_b)


def test_the_case_list_filters_reuploads_of_an_earlier_case(world, analyst, liaison_a):
    assert reupload_list(analyst) == {world["a2"].reference, world["b1"].reference}
    assert world["a1"].reference in reupload_list(analyst, "false")
    assert reupload_list(liaison_a) == {world["a2"].reference}
    response = bearer_client(analyst).get("/api/v1/cases/", {"reupload": "maybe"})
    assert response.status_code == 400


def test_the_console_case_list_has_the_same_filter(world, client, analyst):
    client.force_login(analyst)
    page = client.get("/admin/cases/case/", {"reupload": "true"}).content.decode()
    assert world["a2"].reference in page and world["b1"].reference in page
    assert f">{world['a1'].reference}<" not in page
    assert "re-upload of an earlier case" in page


def test_the_auditor_sees_the_confirm_and_dismiss_events_and_cannot_decide(world, analyst, auditor, liaison_a):
    hashing.decide_match(world["b1_a2"], actor=analyst, decision=MatchDecision.DISMISSED, note="Other crop.")
    response = bearer_client(auditor).get(f"/api/v1/cases/{world['b1'].reference}/events/")
    kinds = [e["kind"] for e in response.json()["results"]]
    assert EventKind.MATCH_CONFIRMED in kinds and EventKind.MATCH_DISMISSED in kinds and EventKind.MATCH_FOUND in kinds
    dismissed = CaseEvent.objects.get(case=world["b1"], kind=EventKind.MATCH_DISMISSED)
    assert dismissed.actor == analyst and dismissed.note == "Other crop." and dismissed.visibility == "internal"
    assert dismissed.data["matched_case"] == world["a2"].reference and dismissed.data["previous"] == "pending"
    # The earlier case's timeline names the re-upload too.
    linked = CaseEvent.objects.filter(case=world["a1"], kind=EventKind.MATCH_CONFIRMED)
    assert {e.data["reupload_case"] for e in linked} == {world["a2"].reference, world["b1"].reference}
    # Both are in the audit chain, which still verifies.
    _head, broken = audit.verify(audit.CASE_EVENTS, CaseEventModel)
    assert broken is None
    # The auditor reads, never decides; liaisons get neither the events nor a say.
    with pytest.raises(PermissionDenied):
        hashing.decide_match(world["b1_a2"], actor=auditor, decision=MatchDecision.CONFIRMED)
    with pytest.raises(PermissionDenied):
        hashing.decide_match(world["a2_a1"], actor=liaison_a, decision=MatchDecision.DISMISSED)
    liaison_kinds = [e["kind"] for e in bearer_client(liaison_a).get(
        f"/api/v1/cases/{world['a2'].reference}/events/").json()["results"]]
    assert not {EventKind.MATCH_FOUND, EventKind.MATCH_CONFIRMED, EventKind.MATCH_DISMISSED} & set(liaison_kinds)


def test_a_decision_can_be_revised_but_not_repeated(world, analyst):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already been decided"):
        hashing.decide_match(world["a2_a1"], actor=analyst, decision=MatchDecision.CONFIRMED)
    hashing.decide_match(world["a2_a1"], actor=analyst, decision=MatchDecision.DISMISSED, note="Looked again.")
    assert CaseEvent.objects.filter(case=world["a2"], kind=EventKind.MATCH_DISMISSED).count() == 1
    assert world["a2"].reference not in reupload_list(analyst)
    # The earlier case's timeline, which said "Re-uploaded: A2", now says the link was taken back.
    said = [(e.kind, e.data["reupload_case"]) for e in CaseEvent.objects.filter(
        case=world["a1"], kind__in=[EventKind.MATCH_CONFIRMED, EventKind.MATCH_DISMISSED]).order_by("id")]
    assert said[-1] == (EventKind.MATCH_DISMISSED, world["a2"].reference)
    assert (EventKind.MATCH_CONFIRMED, world["a2"].reference) in said
    _head, broken = audit.verify(audit.CASE_EVENTS, CaseEventModel)
    assert broken is None


def test_the_ministry_case_page_shows_the_match_side_by_side(world, client, analyst):
    client.force_login(analyst)
    page = client.get(f"/admin/cases/case/{world['b1'].pk}/change/").content.decode()
    assert f"possibly the same content as {world['a1'].reference} (distance {world['b1_a1'].distance})" in page
    assert f"/admin/cases/hashmatch/{world['b1_a2'].pk}/image/earlier/" in page
    assert f"/admin/cases/hashmatch/{world['b1_a2'].pk}/image/later/" in page
    assert 'data-decision="confirmed"' in page and 'data-decision="dismissed"' in page
    image = client.get(f"/admin/cases/hashmatch/{world['b1_a2'].pk}/image/earlier/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png" and image.content[:4] == b"\x89PNG"
    assert "no-store" in image["Cache-Control"]
    assert CustodyEvent.objects.filter(evidence=world["e_a2"], kind=CustodyKind.PREVIEWED, actor=analyst).exists()


def test_the_console_decision_is_a_post_by_a_writer(world, client, analyst, auditor):
    url = f"/admin/cases/hashmatch/{world['b1_a2'].pk}/decide/"
    client.force_login(auditor)
    page = client.get(f"/admin/cases/case/{world['b1'].pk}/change/").content.decode()
    assert "possibly the same content as" in page and 'data-decision="confirmed"' not in page  # sees, no buttons
    client.post(url, {"decision": "confirmed"})
    assert HashMatch.objects.get(pk=world["b1_a2"].pk).decision == MatchDecision.PENDING
    client.force_login(analyst)
    form = client.get(url, {"decision": "confirmed"}).content.decode()
    assert f"possibly the same content as {world['a2'].reference}" in form and 'name="note"' in form
    assert HashMatch.objects.get(pk=world["b1_a2"].pk).decision == MatchDecision.PENDING  # a GET changes nothing
    response = client.post(url, {"decision": "confirmed", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == f"/admin/cases/case/{world['b1'].pk}/change/"
    assert HashMatch.objects.get(pk=world["b1_a2"].pk).decision == MatchDecision.CONFIRMED


def test_liaisons_get_no_block_and_no_image(world, client, liaison_a):
    client.force_login(liaison_a)
    response = client.get(f"/platform/cases/case/{world['a2'].pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200 and world["a2"].reference in page  # the case page itself, without the block
    assert page.count("patuh-matches") == 0 and "possibly the same content" not in page
    assert client.get(f"/admin/cases/hashmatch/{world['a2_a1'].pk}/image/later/").status_code == 404
    assert client.get(f"/admin/cases/hashmatch/{world['a2_a1'].pk}/change/").status_code == 404


def test_a_decision_note_holding_a_nul_is_refused_and_changes_nothing(world, client, analyst):
    client.force_login(analyst)
    response = client.post(f"/admin/cases/hashmatch/{world['b1_a2'].pk}/decide/",
                           {"decision": "confirmed", "note": "same\x00flyer"}, follow=True)
    assert response.status_code == 200 and "NUL" in response.content.decode()
    assert HashMatch.objects.get(pk=world["b1_a2"].pk).decision == MatchDecision.PENDING
    assert not CaseEvent.objects.filter(case=world["b1"], kind=EventKind.MATCH_CONFIRMED,
                                        data__matched_case=world["a2"].reference).exists()


def test_the_review_queue_leads_to_a_page_where_the_match_is_seen_and_decided(world, client, analyst, auditor):
    match = world["b1_a2"]
    client.force_login(analyst)
    queue = client.get("/admin/cases/hashmatch/", {"decision__exact": "pending"}).content.decode()
    assert f"/admin/cases/hashmatch/{match.pk}/change/" in queue
    page = client.get(f"/admin/cases/hashmatch/{match.pk}/change/").content.decode()
    title = f"{world['b1'].reference} ~ {world['a2'].reference} (distance {match.distance})"
    assert f"<h2>{title}</h2>" in page
    assert f"/admin/cases/hashmatch/{match.pk}/image/later/" in page
    assert f"/admin/cases/hashmatch/{match.pk}/image/earlier/" in page
    assert 'data-decision="confirmed"' in page and "next=/admin/cases/hashmatch/" in page
    client.force_login(auditor)  # sees the same, is not asked to decide
    page = client.get(f"/admin/cases/hashmatch/{match.pk}/change/").content.decode()
    assert f"/admin/cases/hashmatch/{match.pk}/image/earlier/" in page and 'data-decision="confirmed"' not in page
    assert "confirm or dismiss." not in page and "Analysts and supervisors confirm or dismiss each one" in page


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
def test_the_evidence_list_and_the_case_page_read_matches_in_a_fixed_number_of_queries(
        request, persona, make_case, analyst, client):
    """One evidence item with an earlier and a later confirmed match, then three: the same queries (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = request.getfixturevalue(persona)
    target = make_case(submit=True)

    def add_items(n, seed):
        for i in range(n):
            picture = poster(seed + i)
            shared(make_case(submit=True), analyst, "earlier.png", encode(picture))
            shared(target, analyst, "here.jpg", jpeg_q40(picture))
            shared(make_case(submit=True), analyst, "later.png", resized(picture))
        for match in HashMatch.objects.filter(decision=MatchDecision.PENDING):
            hashing.decide_match(match, actor=analyst, decision=MatchDecision.CONFIRMED)

    def count(get):
        get()  # sessions and caches settle
        with CaptureQueriesContext(connection) as ctx:
            response = get()
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    api = bearer_client(user)
    client.force_login(user)
    pages = [lambda: api.get(f"/api/v1/cases/{target.reference}/evidence/")]
    if persona == "analyst":
        pages.append(lambda: client.get(f"/admin/cases/case/{target.pk}/change/"))
    add_items(1, 200)
    before = [count(get)[0] for get in pages]
    add_items(2, 300)
    after = [count(get) for get in pages]
    assert [len(item["matches"]) for item in after[0][1].json()["results"]] == [2, 2, 2]  # an earlier, a later
    assert [n for n, _response in after] == before
