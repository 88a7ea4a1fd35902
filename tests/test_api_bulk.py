"""Bulk intake: per-item results, duplicates (open cases and within the batch), idempotency, limits, and a
bulk submission that follows the rules of `transition(case, "submit")`."""

from unittest import mock

import pytest

from cases.cases.models.cases import CaseQuerySet
from cases.cases.services.cases import MAX_BULK_ITEMS, create_case, create_cases_bulk
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.core.recorders.notifications import queue_case_submitted
from cases.models import Case, CaseEvent, IdempotencyKey, Notification, Platform
from tests.conftest import make_user
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/bulk/"


def item(n, **extra):
    return {"platform": "telegram", "category": "gambling", "location_url": f"https://t.me/slot{n}/1",
            "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling.", "source": "crawler", **extra}


@pytest.fixture
def existing(make_case):
    return make_case(submit=True, url="https://t.me/slot_existing/1")


def test_it_reports_each_item_in_order(analyst, existing, platform_b):
    body = {"items": [
        item(1),
        item(2),
        {**item(1), "location_url": "http://www.t.me/SLOT1/1/?utm_source=crawler"},  # same as item 0
        item(3, category="not-a-category"),
        {**item(4), "location_url": existing.location_url},  # an open case
        item(5, platform="myspace"),
        "not an object",
        {"platform": "facebook", "category": "hoax", "handle": "@hoaxfactory", "legal_basis": "x", "reasons": "y"},
        item(6, colour="red"),
        {"platform": "telegram", "category": "hoax", "legal_basis": "x", "reasons": "y"},  # no location
    ]}
    response = bearer_client(analyst).post(URL, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    results = data["results"]
    assert [r["index"] for r in results] == list(range(10))
    assert [r["result"] for r in results] == ["created", "created", "duplicate", "invalid", "duplicate", "invalid",
                                              "invalid", "created", "invalid", "invalid"]
    assert data["counts"] == {"created": 3, "duplicate": 2, "invalid": 5}
    assert results[2]["duplicate_of_index"] == 0 and results[2]["reference"] == results[0]["reference"]
    assert results[4]["reference"] == existing.reference and "duplicate_of_index" not in results[4]
    assert "category" in results[3]["fields"]
    assert "platform" in results[5]["fields"]
    assert "non_field_errors" in results[6]["fields"]
    assert "colour" in results[8]["fields"]
    assert results[9]["fields"]["__all__"] == ["Give a URL, a handle or a platform-native id."]
    created = Case.objects.filter(reference__in=[r["reference"] for r in results if r["result"] == "created"])
    assert created.count() == 3
    assert set(created.values_list("status", flat=True)) == {CaseStatus.DRAFT}
    for case in created:
        assert [(e.kind, e.visibility) for e in case.events.all()] == [(EventKind.CREATED, Visibility.INTERNAL)]
    # References are consecutive: one block for the batch.
    numbers = sorted(int(c.reference.rsplit("-", 1)[1]) for c in created)
    assert numbers == list(range(numbers[0], numbers[0] + 3))


def test_submit_follows_the_rules_of_the_submit_transition(analyst, liaison_a, platform_a):
    make_user("liaison_a2", "liaison", platform=platform_a)
    response = bearer_client(analyst).post(URL, {"submit": True, "note": "AIS run 42",
                                              "items": [item(1), item(2, category="terrorism", tier="")]},
                                        format="json")
    assert response.status_code == 200
    bulk_cases = list(Case.objects.order_by("id"))
    # The same two orders through the one-by-one path, for comparison.
    Case.objects.update(status=CaseStatus.WITHDRAWN)  # free the locations
    single = []
    for n, category in ((1, "gambling"), (2, "terrorism")):
        single.append(create_case(actor=analyst, platform=Platform.objects.get(slug="telegram"), category=category,
                                  location_url=f"https://t.me/slot{n}/1", legal_basis="x", reasons="y",
                                  submit=True, note="AIS run 42"))
    for bulk, one in zip(bulk_cases, single, strict=True):
        assert bulk.submitted_by == analyst and bulk.submitted_at is not None
        assert (bulk.tier, bulk.deadline_hours, bulk.due_at - bulk.submitted_at, bulk.submission_count,
                bulk.version) == (one.tier, one.deadline_hours, one.due_at - one.submitted_at, one.submission_count,
                                  one.version)
        b_event = bulk.events.get(kind=EventKind.SUBMITTED)
        o_event = one.events.get(kind=EventKind.SUBMITTED)
        assert (b_event.from_status, b_event.to_status, b_event.note, b_event.visibility, b_event.actor) == (
            o_event.from_status, o_event.to_status, o_event.note, o_event.visibility, o_event.actor)
        assert set(b_event.data) == set(o_event.data)
        assert b_event.data["deadline_source"] == o_event.data["deadline_source"]
    assert bulk_cases[1].tier == "urgent" and bulk_cases[1].deadline_hours == 4


def test_bulk_notices_are_the_notices_of_the_one_by_one_path(analyst, liaison_a, platform_a, make_case):
    results = create_cases_bulk(actor=analyst, items=[
        {"platform": platform_a, "category": "terrorism", "location_url": "https://t.me/a/1", "legal_basis": "x",
         "reasons": "y"},
        {"platform": platform_a, "category": "hoax", "location_url": "https://t.me/a/2", "legal_basis": "x",
         "reasons": "y"},
    ], submit=True)
    for result in results:
        case = Case.objects.select_related("platform").get(pk=result.case.pk)
        bulk_rows = list(Notification.objects.filter(case=case).values("key", "kind", "to_email", "subject", "body",
                                                                       "urgent", "recipient_id"))
        Notification.objects.filter(case=case).delete()
        assert queue_case_submitted(case) == len(bulk_rows) == 1
        single_rows = list(Notification.objects.filter(case=case).values("key", "kind", "to_email", "subject",
                                                                         "body", "urgent", "recipient_id"))
        assert bulk_rows == single_rows


def test_an_idempotent_retry_replays_the_first_response(analyst, platform_a):
    client = bearer_client(analyst)
    body = {"submit": True, "items": [item(1), item(2), item(1)]}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="crawler-run-7")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="crawler-run-7")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 2
    assert CaseEvent.objects.filter(kind=EventKind.SUBMITTED).count() == 2
    # Without the key, the same body is a new request: everything is now a duplicate.
    fresh = client.post(URL, body, format="json").json()
    assert fresh["counts"] == {"created": 0, "duplicate": 3, "invalid": 0}


def test_the_same_key_with_a_different_body_answers_422(analyst, platform_a):
    client = bearer_client(analyst)
    client.post(URL, {"items": [item(1)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = client.post(URL, {"items": [item(2)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_keys_belong_to_their_user(analyst, supervisor, platform_a):
    bearer_client(analyst).post(URL, {"items": [item(1)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = bearer_client(supervisor).post(URL, {"items": [item(2)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 200 and response.json()["counts"]["created"] == 1
    assert IdempotencyKey.objects.count() == 2


def test_a_batch_over_the_limit_is_refused_whole(analyst, platform_a):
    body = {"items": [item(n) for n in range(MAX_BULK_ITEMS + 1)]}
    response = bearer_client(analyst).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="too-big")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_many_items"
    assert "1000" in error["message"] and "1001" in error["message"]
    assert not Case.objects.exists()
    assert not IdempotencyKey.objects.exists()  # a refused request may be corrected and retried with its key


def test_a_batch_of_exactly_the_limit_is_accepted(analyst, platform_a):
    body = {"items": [item(n) for n in range(MAX_BULK_ITEMS)]}
    response = bearer_client(analyst).post(URL, body, format="json")
    assert response.status_code == 200
    assert response.json()["counts"]["created"] == MAX_BULK_ITEMS


@pytest.mark.parametrize("body", [[], {"items": "x"}, {"items": [], "submit": "yes"}, {"items": [], "note": 3}])
def test_a_malformed_envelope_answers_400(analyst, body):
    assert bearer_client(analyst).post(URL, body, format="json").status_code == 400


@pytest.mark.parametrize("persona", ["auditor", "liaison_a", "liaison_b"])
def test_only_ministry_writers_may_send_batches(request, platform_a, persona):
    response = bearer_client(request.getfixturevalue(persona)).post(URL, {"items": [item(1)]}, format="json")
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_anonymous_gets_401(platform_a):
    assert bearer_client(None).post(URL, {"items": [item(1)]}, format="json").status_code == 401


def test_a_concurrent_duplicate_becomes_a_duplicate_result(analyst, platform_a, make_case):
    """The batch's duplicate check missed a case opened meanwhile: the unique index refuses the insert, and
    the batch falls back to one insert per item."""
    rival = make_case(url="https://t.me/slot2/1")
    real_open = CaseQuerySet.open
    calls = {"n": 0}

    def open_missing_the_rival_once(self):
        calls["n"] += 1
        qs = real_open(self)
        return qs.exclude(pk=rival.pk) if calls["n"] == 1 else qs

    items = [{**item(n), "platform": platform_a} for n in (1, 2, 3)]
    with mock.patch.object(CaseQuerySet, "open", open_missing_the_rival_once):
        results = create_cases_bulk(actor=analyst, items=items, submit=True)
    assert [r.outcome for r in results] == ["created", "duplicate", "created"]
    assert results[1].reference == rival.reference
    assert Case.objects.count() == 3
    assert CaseEvent.objects.filter(kind=EventKind.SUBMITTED).count() == 2


def test_the_bulk_service_refuses_non_writers_and_oversized_batches(auditor, analyst, platform_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        create_cases_bulk(actor=auditor, items=[])
    with pytest.raises(ValidationError):
        create_cases_bulk(actor=analyst, items=[{}] * (MAX_BULK_ITEMS + 1))
    results = create_cases_bulk(actor=analyst, items=[{"platform": platform_a}, {"platform": "telegram",
                                                                                 "category": "hoax"}])
    assert {"category", "legal_basis", "reasons"} <= set(results[0].errors)
    assert "platform" in results[1].errors
