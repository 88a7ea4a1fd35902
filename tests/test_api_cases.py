"""Cases over the API, per persona: list, read, create, transitions, timeline, filters, CSV export."""

import csv
import io
from datetime import timedelta

import pytest

from cases.cases.services.cases import assign_case
from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import CaseStatus, Category
from cases.models import Case
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db

ORDER = {"platform": "telegram", "category": "terrorism", "location_url": "https://t.me/jihad_recruit/77",
         "legal_basis": "UU ITE Art. 27(1)", "reasons": "Recruitment propaganda."}


@pytest.fixture
def world(make_case, platform_b, analyst):
    """A submitted case and a draft on A (Telegram), a submitted case on B (Facebook)."""
    return {
        "a": make_case(submit=True),
        "a_draft": make_case(),
        "b": make_case(submit=True, platform=platform_b, url="https://facebook.com/groups/hoax/posts/1"),
    }


def refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {c["reference"] for c in response.json()["results"]}


# --- who sees what ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "auditor", "administrator"])
def test_ministry_roles_see_every_case(request, world, persona):
    client = bearer_client(request.getfixturevalue(persona))
    assert refs(client.get("/api/v1/cases/")) == {c.reference for c in world.values()}
    for case in world.values():
        response = client.get(f"/api/v1/cases/{case.reference}/")
        assert response.status_code == 200
        assert response["ETag"] == f'"{case.version}"'


def test_liaison_a_sees_only_its_submitted_cases(liaison_a, world):
    client = bearer_client(liaison_a)
    assert refs(client.get("/api/v1/cases/")) == {world["a"].reference}
    body = client.get(f"/api/v1/cases/{world['a'].reference}/").json()
    assert "assigned_to" not in body and "source_detail" not in body  # ministry-only fields
    assert body["available_actions"] == ["acknowledge", "report_action", "object"]


@pytest.mark.parametrize("path", ["", "events/", "evidence/"])
def test_liaison_b_gets_404_for_everything_of_a(liaison_b, world, path):
    client = bearer_client(liaison_b)
    for case in (world["a"], world["a_draft"]):
        assert client.get(f"/api/v1/cases/{case.reference}/{path}").status_code == 404
    assert client.get(f"/api/v1/cases/{world['b'].reference}/{path}").status_code == 200


def test_liaison_b_cannot_change_anything_of_a(liaison_b, world):
    client = bearer_client(liaison_b)
    a = world["a"]
    for body in ({"action": "acknowledge"}, {"action": "object", "reason": "lawful", "text": "x"}):
        response = client.post(f"/api/v1/cases/{a.reference}/transitions/", body, format="json")
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}
    a.refresh_from_db()
    assert a.status == CaseStatus.SUBMITTED


def test_a_liaison_never_sees_drafts(liaison_a, world):
    assert bearer_client(liaison_a).get(f"/api/v1/cases/{world['a_draft'].reference}/").status_code == 404


def test_anonymous_gets_401_everywhere(world):
    client = bearer_client(None)
    ref = world["a"].reference
    for method, path in [("get", "/api/v1/cases/"), ("get", f"/api/v1/cases/{ref}/"),
                         ("get", f"/api/v1/cases/{ref}/events/"), ("post", "/api/v1/cases/"),
                         ("post", "/api/v1/cases/bulk/"), ("post", f"/api/v1/cases/{ref}/transitions/"),
                         ("get", "/api/v1/cases/export.csv")]:
        assert getattr(client, method)(path).status_code == 401, path


# --- creating -----------------------------------------------------------------------------------------


def test_an_analyst_creates_and_submits_a_case(analyst, platform_a):
    response = bearer_client(analyst).post("/api/v1/cases/", {**ORDER, "submit": True, "note": "From the patrol."},
                                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["tier"] == "urgent" and body["deadline_hours"] == 4
    assert response["Location"].endswith(f"/api/v1/cases/{body['reference']}/")
    case = Case.objects.get(reference=body["reference"])
    assert [e.kind for e in case.events.order_by("id")] == ["created", "submitted"]


def test_a_duplicate_open_location_answers_409_with_the_existing_reference(analyst, platform_a):
    client = bearer_client(analyst)
    first = client.post("/api/v1/cases/", ORDER, format="json").json()["reference"]
    again = client.post("/api/v1/cases/", {**ORDER, "location_url": "http://www.t.me/jihad_recruit/77/?utm_source=x"},
                        format="json")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate_open_case"
    assert error["existing_reference"] == first
    assert first in error["message"]


def test_invalid_input_answers_400_with_field_errors(analyst, platform_a):
    response = bearer_client(analyst).post("/api/v1/cases/", {"platform": "telegram", "category": "nope",
                                                           "location_url": "", "legal_basis": "", "reasons": "x",
                                                           "colour": "red"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"colour"}
    response = bearer_client(analyst).post("/api/v1/cases/", {"platform": "telegram", "category": "nope",
                                                           "legal_basis": "", "reasons": "x"}, format="json")
    fields = response.json()["error"]["fields"]
    assert {"category", "legal_basis"} <= set(fields)


@pytest.mark.parametrize("persona", ["auditor", "liaison_a", "liaison_b"])
def test_only_ministry_writers_create(request, platform_a, persona):
    response = bearer_client(request.getfixturevalue(persona)).post("/api/v1/cases/", ORDER, format="json")
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_the_platform_must_be_visible_to_the_creator(analyst, platform_a):
    response = bearer_client(analyst).post("/api/v1/cases/", {**ORDER, "platform": "myspace"}, format="json")
    assert response.status_code == 400
    assert "platform" in response.json()["error"]["fields"]


def test_create_is_idempotent_with_a_key(analyst, platform_a):
    client = bearer_client(analyst)
    first = client.post("/api/v1/cases/", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/cases/", ORDER, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


# --- transitions --------------------------------------------------------------------------------------


def test_a_liaison_acknowledges_and_reports_action_with_if_match(liaison_a, world):
    client = bearer_client(liaison_a)
    ref = world["a"].reference
    etag = client.get(f"/api/v1/cases/{ref}/")["ETag"]
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge"}, format="json",
                           HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    new_etag = response["ETag"]
    assert new_etag != etag
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {
        "action": "report_action", "action_taken": "removed", "action_taken_at": clock.now().isoformat(),
        "note": "Channel closed."}, format="json", HTTP_IF_MATCH=new_etag)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "actioned"


def test_a_stale_if_match_answers_409(liaison_a, analyst, world):
    client = bearer_client(liaison_a)
    ref = world["a"].reference
    etag = client.get(f"/api/v1/cases/{ref}/")["ETag"]
    assign_case(world["a"], actor=analyst, assignee=analyst)  # someone else changes the case
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge"}, format="json",
                           HTTP_IF_MATCH=etag)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    assert "changed by someone else" in response.json()["error"]["message"]


def test_a_refused_transition_answers_409_with_the_services_message(liaison_a, world):
    client = bearer_client(liaison_a)
    ref = world["a"].reference
    client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge"}, format="json")
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "state", "message": f"Case {ref} is already acknowledged; it cannot be acknowledged."}


def test_a_role_refusal_answers_409_forbidden(auditor, world):
    response = bearer_client(auditor).post(f"/api/v1/cases/{world['a'].reference}/transitions/",
                                        {"action": "withdraw", "note": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "forbidden"


def test_invalid_transition_data_answers_400_with_fields(liaison_a, world):
    client = bearer_client(liaison_a)
    ref = world["a"].reference
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "report_action", "action_taken": "x"},
                           format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"action_taken", "action_taken_at"}
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "fly"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown"
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge", "actor": 1},
                           format="json")
    assert response.status_code == 400
    response = client.post(f"/api/v1/cases/{ref}/transitions/", {"action": "acknowledge"}, format="json",
                           HTTP_IF_MATCH="yesterday")
    assert response.status_code == 400


# --- timeline -----------------------------------------------------------------------------------------


def test_the_timeline_shows_liaisons_shared_events_only(analyst, liaison_a, world):
    ref = world["a"].reference
    ministry = [e["kind"] for e in bearer_client(analyst).get(f"/api/v1/cases/{ref}/events/").json()["results"]]
    liaison = [e["kind"] for e in bearer_client(liaison_a).get(f"/api/v1/cases/{ref}/events/").json()["results"]]
    assert ministry == ["created", "submitted"]
    assert liaison == ["submitted"]


# --- filters ------------------------------------------------------------------------------------------


def test_filters(analyst, supervisor, make_case, platform_b, world):
    client = bearer_client(analyst)
    a, b = world["a"], world["b"]
    assert refs(client.get("/api/v1/cases/?platform=facebook")) == {b.reference}
    assert refs(client.get("/api/v1/cases/?status=draft")) == {world["a_draft"].reference}
    assert refs(client.get("/api/v1/cases/?status=draft&status=submitted")) == {c.reference for c in world.values()}
    assert refs(client.get(f"/api/v1/cases/?q={a.reference.lower()}")) == {a.reference}
    assert refs(client.get("/api/v1/cases/?q=groups/hoax")) == {b.reference}
    assert refs(client.get("/api/v1/cases/?deadline_state=on_time")) == {a.reference, b.reference}
    assert refs(client.get("/api/v1/cases/?deadline_state=overdue")) == set()
    assert refs(client.get("/api/v1/cases/?category=hoax&tier=standard")) == {c.reference for c in world.values()}
    assert refs(client.get("/api/v1/cases/?source=crawler")) == set()
    today = clock.now().date().isoformat()
    assert refs(client.get(f"/api/v1/cases/?submitted_from={today}")) >= {a.reference, b.reference}
    assert refs(client.get("/api/v1/cases/?submitted_to=2001-01-01")) == set()
    assign_case(a, actor=analyst, assignee=analyst)
    assert refs(client.get("/api/v1/cases/?assigned_to_me=true")) == {a.reference}
    assert refs(bearer_client(supervisor).get("/api/v1/cases/?assigned_to_me=true")) == set()
    with clock.frozen(clock.now() + timedelta(days=2)):
        sweep(deliver=False)  # overdue is the fact the sweeper records
        assert refs(client.get("/api/v1/cases/?deadline_state=overdue")) == {a.reference, b.reference}
    bad = client.get("/api/v1/cases/?deadline_state=whenever")
    assert bad.status_code == 400 and "deadline_state" in bad.json()["error"]["fields"]


def test_a_liaison_cannot_probe_other_platforms_through_filters(liaison_a, world):
    response = bearer_client(liaison_a).get("/api/v1/cases/?platform=facebook")
    assert response.status_code == 400
    unknown = bearer_client(liaison_a).get("/api/v1/cases/?platform=no-such-platform")
    assert unknown.status_code == 400
    assert response.json()["error"]["fields"]["platform"][0].replace("facebook", "X") == \
        unknown.json()["error"]["fields"]["platform"][0].replace("no-such-platform", "X")


def test_cursor_pagination_walks_every_case_once(analyst, make_case):
    made = {make_case().reference for _ in range(7)}
    client = bearer_client(analyst)
    seen, url = [], "/api/v1/cases/?page_size=3"
    while url:
        page = client.get(url).json()
        assert "count" not in page  # no COUNT(*)
        seen += [c["reference"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


# --- CSV export ---------------------------------------------------------------------------------------


def _csv(response) -> list[dict]:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "auditor"])
def test_ministry_roles_export_cases_as_csv_with_the_list_filters(request, world, persona):
    client = bearer_client(request.getfixturevalue(persona))
    rows = _csv(client.get("/api/v1/cases/export.csv"))
    assert {r["reference"] for r in rows} == {c.reference for c in world.values()}
    rows = _csv(client.get("/api/v1/cases/export.csv?platform=facebook"))
    assert [r["reference"] for r in rows] == [world["b"].reference]
    assert rows[0]["platform"] == "facebook" and rows[0]["status"] == "submitted"


@pytest.mark.parametrize("persona", ["liaison_a", "liaison_b"])
def test_liaisons_may_not_export(request, world, persona):
    response = bearer_client(request.getfixturevalue(persona)).get("/api/v1/cases/export.csv")
    assert response.status_code == 403


def test_csv_cells_cannot_become_formulas(analyst, make_case):
    make_case(url="https://t.me/x/1", handle="=HYPERLINK(\"http://evil\")")
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(handle="=HYPERLINK(\"http://evil\")", category=Category.HOAX)
    rows = _csv(bearer_client(analyst).get("/api/v1/cases/export.csv"))
    assert rows[0]["handle"].startswith("'=")


def test_transition_outside_the_api_is_visible_in_it(liaison_a, world):
    transition(world["a"], "acknowledge", actor=liaison_a)
    body = bearer_client(liaison_a).get(f"/api/v1/cases/{world['a'].reference}/").json()
    assert body["status"] == "acknowledged" and body["version"] == 3


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "auditor", "liaison_a", "liaison_b"])
def test_available_actions_in_the_api_are_the_workflows(request, persona, make_case, platform_a):
    """The serializer skips refusals it can tell without building their messages; the answer must not change."""
    from types import SimpleNamespace

    from cases.api.serializers import CaseSerializer
    from cases.cases.workflow import available_actions
    from cases.core.choices import CaseStatus

    user = request.getfixturevalue(persona)
    serializer = CaseSerializer(context={"request": SimpleNamespace(user=user)})
    case = make_case(platform=platform_a)
    for status in CaseStatus:
        case.status = status
        assert serializer.get_available_actions(case) == [t.action for t in available_actions(case, user)], status
