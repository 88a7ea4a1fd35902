"""The API writes its rows through a plan made once per page (`OutputSerializer._row_plan`), not DRF's generic
per-field walk. What a client reads must not change: every row of the case list, a case's timeline and its
cycles equals what DRF's own `Serializer.to_representation` writes, less the ministry-only fields for a
liaison, per persona and in both languages."""

import json
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import translation
from rest_framework import serializers
from rest_framework.request import Request

from cases.api.serializers import CaseEventSerializer, CaseSerializer, SubmissionCycleSerializer
from cases.cases.services.cases import assign_case
from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Source
from cases.core.roles import is_ministry
from cases.models import Case, CaseEvent, SubmissionCycle
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db


def drf_rows(serializer_class, instances, user) -> list[dict]:
    """DRF's own writing of each instance, with the ministry-only fields dropped as before for non-ministry."""
    request = Request(RequestFactory().get("/api/v1/"))
    request.user = user
    serializer = serializer_class(context={"request": request})
    hidden = () if is_ministry(user) else getattr(serializer_class, "ministry_only_fields", ())
    rows = []
    for instance in instances:
        row = serializers.Serializer.to_representation(serializer, instance)
        for name in hidden:
            row.pop(name, None)
        rows.append(row)
    return json.loads(json.dumps(rows))


@pytest.fixture
def cases_in_every_state(make_case, platform_b, analyst, supervisor, liaison_a):
    """Drafts, submitted, assigned, acknowledged, objected, actioned, overdue and withdrawn cases on A and B."""
    made = [make_case(), make_case(submit=True), make_case(submit=True, platform=platform_b,
                                                            url="https://facebook.com/groups/hoax/posts/9")]
    assigned = make_case(submit=True, url="https://t.me/assigned/1")
    assign_case(assigned, actor=supervisor, assignee=analyst)
    acknowledged = make_case(submit=True, url="https://t.me/ack/1")
    transition(acknowledged, "acknowledge", actor=liaison_a)
    objected = make_case(submit=True, url="https://t.me/objected/1")
    transition(objected, "object", actor=liaison_a, reason="lawful", text="Satire.")
    actioned = make_case(submit=True, url="https://t.me/actioned/1")
    transition(actioned, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    withdrawn = make_case(submit=True, url="https://t.me/withdrawn/1")
    transition(withdrawn, "withdraw", actor=supervisor, note="Sent in error.")
    late = make_case(submit=True, url="https://t.me/late/1")
    Case.objects.filter(pk=late.pk).update(due_at=clock.now() - timedelta(hours=2))
    sweep()
    return made


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "liaison_a"])
@pytest.mark.parametrize("language", ["en", "id"])
def test_list_rows_are_what_drf_writes(request, persona, language, cases_in_every_state):
    user = request.getfixturevalue(persona)
    client = bearer_client(user)
    response = client.get("/api/v1/cases/?page_size=1000", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) >= (7 if persona == "liaison_a" else 9)
    from cases.cases.api.cases import scoped_cases

    by_reference = {c.reference: c for c in scoped_cases(user)}
    with translation.override(language):
        expected = drf_rows(CaseSerializer, [by_reference[r["reference"]] for r in rows], user)
    assert rows == expected
    if persona == "liaison_a":
        assert "source_detail" not in rows[0] and "assigned_to" not in rows[0]
    else:
        assert {"source_detail", "assigned_to", "created_by"} <= rows[0].keys()
    assert {r["deadline_state"] for r in rows} >= {"overdue", "on_time"}
    assert any(r["available_actions"] for r in rows)


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
def test_timeline_and_cycle_rows_are_what_drf_writes(request, persona, cases_in_every_state):
    user = request.getfixturevalue(persona)
    client = bearer_client(user)
    case = Case.objects.filter(objected_at__isnull=False).get()
    events = client.get(f"/api/v1/cases/{case.reference}/events/?page_size=1000").json()["results"]
    by_id = {e.pk: e for e in CaseEvent.objects.filter(case=case)}
    assert events and events == drf_rows(CaseEventSerializer, [by_id[e["id"]] for e in events], user)
    cycles = client.get(f"/api/v1/cases/{case.reference}/cycles/").json()
    cycles = cycles["results"] if isinstance(cycles, dict) else cycles
    assert cycles == drf_rows(SubmissionCycleSerializer,
                              list(SubmissionCycle.objects.filter(case=case).order_by("number")), user)


def test_the_case_filters_add_no_distinct(platform_a, make_case, analyst):
    """The case's own columns and its one platform cannot repeat a row: no DISTINCT (over every column, it made
    PostgreSQL sort every matching case of a filtered list), and the same rows."""
    from cases.core.filtersets import CaseFilterSet

    made = [make_case(submit=True), make_case(submit=True, url="https://t.me/x/2"), make_case()]
    params = {"platform": ["telegram"], "status": ["submitted", "acknowledged"], "category": ["hoax", "gambling"],
              "source": [s.value for s in Source]}
    request = RequestFactory().get("/api/v1/cases/")
    request.user = analyst
    filtered = CaseFilterSet(params, queryset=Case.objects.all(), request=request)
    assert filtered.is_valid(), filtered.errors
    assert not filtered.qs.query.distinct
    assert sorted(filtered.qs.values_list("pk", flat=True)) == sorted(c.pk for c in made[:2])
