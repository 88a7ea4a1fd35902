"""The lifecycle table, proven exhaustively: every (action, from-state, persona) either succeeds with one
event, or is refused with a clear message and nothing changed.

The expected matrix below is written out by hand from DOMAIN.md, not derived from `cases.cases.workflow`, so a
mistake in the table makes this test fail.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from cases.cases.workflow import TRANSITIONS, TransitionError, available_actions, transition
from cases.core import clock
from cases.core.choices import CaseStatus as S
from cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

PERSONAS = ["analyst", "supervisor", "administrator", "auditor", "liaison_a", "liaison_b"]
MINISTRY_OPERATORS = {"analyst", "supervisor", "administrator"}
DECIDERS = {"supervisor", "administrator"}
EXPECTED = {  # action: (from-states, personas allowed, to-state)
    "submit": ({S.DRAFT}, MINISTRY_OPERATORS, S.SUBMITTED),
    "acknowledge": ({S.SUBMITTED}, {"liaison_a"}, S.ACKNOWLEDGED),
    "report_action": ({S.SUBMITTED, S.ACKNOWLEDGED}, {"liaison_a"}, S.ACTIONED),
    "object": ({S.SUBMITTED, S.ACKNOWLEDGED}, {"liaison_a"}, S.OBJECTED),
    "uphold_objection": ({S.OBJECTED}, DECIDERS, S.WITHDRAWN),
    "reject_objection": ({S.OBJECTED}, DECIDERS, S.ACKNOWLEDGED),
    "verify": ({S.ACTIONED}, MINISTRY_OPERATORS, S.VERIFIED),
    "reopen": ({S.ACTIONED}, MINISTRY_OPERATORS, S.SUBMITTED),
    "withdraw": ({S.DRAFT, S.SUBMITTED, S.ACKNOWLEDGED, S.ACTIONED, S.OBJECTED}, DECIDERS, S.WITHDRAWN),
}
VALID_DATA = {
    "report_action": {"action_taken": "removed"},
    "object": {"reason": "lawful", "text": "This is news reporting."},
}
NOTES = {"uphold_objection", "reject_objection", "reopen", "withdraw"}

# How to bring a fresh case to each state, through the service.
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: [("submit", "analyst")],
    S.ACKNOWLEDGED: [("submit", "analyst"), ("acknowledge", "liaison_a")],
    S.ACTIONED: [("submit", "analyst"), ("report_action", "liaison_a")],
    S.OBJECTED: [("submit", "analyst"), ("object", "liaison_a")],
    S.VERIFIED: [("submit", "analyst"), ("report_action", "liaison_a"), ("verify", "analyst")],
    S.WITHDRAWN: [("withdraw", "supervisor")],
}


def _data(action):
    data = dict(VALID_DATA.get(action, {}))
    if action == "report_action":
        data["action_taken_at"] = clock.now()
    if action in NOTES:
        data["note"] = "Reason recorded for the audit trail."
    return data


def test_the_expected_matrix_covers_the_whole_table():
    assert set(EXPECTED) == set(TRANSITIONS)


def test_every_action_from_every_state_by_every_persona(request, make_case, liaison_a, liaison_b):
    personas = {p: request.getfixturevalue(p) for p in PERSONAS}
    tried = allowed_count = 0
    for state, path in PATHS.items():
        case = make_case()
        for action, who in path:
            transition(case, action, actor=personas[who], **_data(action))
        assert case.status == state
        for action, (sources, allowed_personas, target) in EXPECTED.items():
            for persona in PERSONAS:
                tried += 1
                should = state in sources and persona in allowed_personas
                before = model_to_dict(Case.objects.get(pk=case.pk), fields=[f.name for f in Case._meta.fields])
                events_before = CaseEvent.objects.filter(case=case).count()
                with transaction.atomic():
                    fresh = Case.objects.get(pk=case.pk)
                    label = f"{action} from {state} by {persona}"
                    if should:
                        allowed_count += 1
                        transition(fresh, action, actor=personas[persona], **_data(action))
                        assert fresh.status == target, label
                        new = list(CaseEvent.objects.filter(case=case).order_by("-id")[:2])
                        assert CaseEvent.objects.filter(case=case).count() == events_before + 1, label
                        assert (new[0].from_status, new[0].to_status) == (state, target), label
                        assert new[0].actor == personas[persona], label
                    else:
                        with pytest.raises(TransitionError) as err:
                            transition(fresh, action, actor=personas[persona], **_data(action))
                        assert case.reference in err.value.message or "do not act for" in err.value.message, label
                        after = model_to_dict(Case.objects.get(pk=case.pk), fields=list(before))
                        assert after == before, label
                        assert CaseEvent.objects.filter(case=case).count() == events_before, label
                    transaction.set_rollback(True)
    assert tried == 7 * 9 * 6
    assert allowed_count == sum(len(src) * len(who) for src, who, _ in EXPECTED.values())


def test_a_refusal_reads_like_a_sentence(make_case, analyst, liaison_a):
    case = make_case(submit=True)
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    transition(case, "verify", actor=analyst)
    with pytest.raises(TransitionError) as err:
        transition(case, "acknowledge", actor=liaison_a)
    assert err.value.message == f"Case {case.reference} is already verified; it cannot be acknowledged."


def test_a_liaison_of_another_platform_is_refused_without_learning_anything(make_case, liaison_b):
    case = make_case(submit=True)
    with pytest.raises(TransitionError, match="You do not act for Telegram"):
        transition(case, "acknowledge", actor=liaison_b)


def test_a_deactivated_liaison_can_no_longer_act(make_case, liaison_a):
    case = make_case(submit=True)
    liaison_a.platform_memberships.update(is_active=False)
    fresh_user = type(liaison_a).objects.get(pk=liaison_a.pk)  # a new request: no cached memberships
    with pytest.raises(TransitionError):
        transition(case, "acknowledge", actor=fresh_user)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action_taken": "burned"}, "action_taken", "Choose what the platform did"),
        ({"action_taken": "removed"}, "action_taken_at", "Say when"),
        ({"action_taken": "removed", "action_taken_at": "yesterday"}, "action_taken_at", "ISO 8601"),
        ({"action_taken": "removed", "action_taken_at": "future"}, "action_taken_at", "may not be in the future"),
        ({"action_taken": "removed", "action_taken_at": "before"}, "action_taken_at", "before the case was submitted"),
    ],
)
def test_report_action_validates_its_data_and_changes_nothing(make_case, liaison_a, data, field, message):
    case = make_case(submit=True)
    if data.get("action_taken_at") == "future":
        data["action_taken_at"] = (clock.now() + timedelta(hours=1)).isoformat()
    if data.get("action_taken_at") == "before":
        data["action_taken_at"] = (case.submitted_at - timedelta(minutes=10)).isoformat()
    with pytest.raises(TransitionError) as err:
        transition(case, "report_action", actor=liaison_a, **data)
    assert message in err.value.field_errors[field]
    case.refresh_from_db()
    assert case.status == S.SUBMITTED and case.events.count() == 2


def test_objection_needs_a_listed_reason_and_an_explanation(make_case, liaison_a):
    case = make_case(submit=True)
    with pytest.raises(TransitionError) as err:
        transition(case, "object", actor=liaison_a, reason="because", text=" ")
    assert set(err.value.field_errors) == {"reason", "text"}
    transition(case, "object", actor=liaison_a, reason="lawful", text="Satire, clearly labelled.")
    assert case.objection_reason == "lawful" and case.objected_at is not None


def test_withdrawing_needs_a_note(make_case, supervisor):
    case = make_case(submit=True)
    with pytest.raises(TransitionError) as err:
        transition(case, "withdraw", actor=supervisor)
    assert "note" in err.value.field_errors


def test_unknown_actions_and_unexpected_data_are_refused(make_case, analyst):
    case = make_case()
    with pytest.raises(TransitionError, match="Unknown action"):
        transition(case, "delete", actor=analyst)
    with pytest.raises(TransitionError) as err:
        transition(case, "submit", actor=analyst, status="verified")
    assert "status" in err.value.field_errors
    case.refresh_from_db()
    assert case.status == S.DRAFT


def test_buttons_show_only_what_this_user_may_do_now(make_case, analyst, supervisor, liaison_a, liaison_b, auditor):
    case = make_case(submit=True)
    names = lambda user: [t.action for t in available_actions(case, user)]  # noqa: E731
    assert names(analyst) == []
    assert names(supervisor) == ["withdraw"]
    assert names(liaison_a) == ["acknowledge", "report_action", "object"]
    assert names(liaison_b) == []
    assert names(auditor) == []


def test_a_stale_copy_is_rechecked_against_the_locked_row(make_case, liaison_a, supervisor):
    case = make_case(submit=True)
    stale = Case.objects.get(pk=case.pk)
    transition(case, "withdraw", actor=supervisor, note="Withdrawn.")
    with pytest.raises(TransitionError, match="already withdrawn"):
        transition(stale, "acknowledge", actor=liaison_a)


def test_acting_on_a_stale_picture_is_refused(make_case, liaison_a, supervisor):
    case = make_case(submit=True)
    seen = case.version
    transition(case, "acknowledge", actor=liaison_a, expected_version=seen)
    with pytest.raises(TransitionError) as err:
        transition(case, "withdraw", actor=supervisor, note="Wrong platform.", expected_version=seen)
    assert err.value.code == "stale"
    assert "changed by someone else since you opened it (it is now acknowledged)" in err.value.message
    case.refresh_from_db()
    assert case.status == S.ACKNOWLEDGED
    transition(case, "withdraw", actor=supervisor, note="Wrong platform.", expected_version=case.version)
    assert case.status == S.WITHDRAWN
