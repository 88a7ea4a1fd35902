"""Sanctions and commitments as audited lifecycles (issue 15): every action × state × persona.

The expectations below are written out by hand (who may do what from which state), not read from the
transitions table, so a change to the table that nobody meant shows here. An allowed step writes exactly one
event in its chain, and the chains verify; a refused one raises and changes nothing.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import TransitionError
from cases.commitments.services import commitments
from cases.commitments.services.commitments import CommitmentError
from cases.core import audit
from cases.core.choices import Category, CommitmentStatus, SanctionLevel, SanctionStatus
from cases.models import (
    CaseEvent,
    Commitment,
    CommitmentEvent,
    CommitmentUpdate,
    CustodyEvent,
    FineFactorValue,
    FinePolicy,
    Sanction,
    SanctionCase,
    SanctionEvent,
)
from cases.sanctions.services import sanctions
from cases.sanctions.services.sanctions import SanctionError

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PERSONAS = ("analyst", "supervisor", "administrator", "auditor", "liaison_a", "liaison_b", "system")


@pytest.fixture
def traveller():
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def people(analyst, supervisor, administrator, auditor, liaison_a, liaison_b):
    return {"analyst": analyst, "supervisor": supervisor, "administrator": administrator, "auditor": auditor,
            "liaison_a": liaison_a, "liaison_b": liaison_b, "system": None}


def chains_hold():
    for chain, model in ((audit.CASE_EVENTS, CaseEvent), (audit.CUSTODY_EVENTS, CustodyEvent),
                         (audit.SANCTION_EVENTS, SanctionEvent), (audit.COMMITMENT_EVENTS, CommitmentEvent)):
        _head, broken = audit.verify(chain, model)
        assert broken is None, str(broken)


def test_the_errors_are_transition_errors():
    # The API maps TransitionError to 409 (400 for invalid data), as for cases.
    assert issubclass(SanctionError, TransitionError) and issubclass(CommitmentError, TransitionError)


# --- sanctions ---------------------------------------------------------------------------------------------

DECIDERS = {"supervisor", "administrator"}
SANCTION_STEPS = {
    # action: (states it applies to, personas who may)
    "cite": ({"proposed"}, DECIDERS | {"system"}),
    "issue": ({"proposed"}, DECIDERS),
    "comply": ({"issued"}, DECIDERS),
    "lift": ({"issued"}, DECIDERS),
    "withdraw": ({"proposed"}, DECIDERS),
}
SANCTION_STATES = ("proposed", "issued", "complied", "lifted", "withdrawn")


def overdue_case(make_case, traveller, platform=None):
    """A submitted case whose deadline passed, marked overdue by the sweeper (which cites it)."""
    case = make_case(submit=True, platform=platform)
    traveller.shift(timedelta(hours=25))
    sweep()
    case.refresh_from_db()
    return case


def sanction_in(state: str, supervisor, platform_a) -> Sanction:
    s = sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.WARNING_1, actor=supervisor,
                                   reason="Repeated late takedowns.", content_category=Category.HOAX)
    if state == "withdrawn":
        return sanctions.transition(s, "withdraw", actor=supervisor, note="Superseded.")
    if state in ("issued", "complied", "lifted"):
        s = sanctions.transition(s, "issue", actor=supervisor, letter_reference="ST1/X/2026/001")
    if state == "complied":
        s = sanctions.transition(s, "comply", actor=supervisor, note="Done.")
    if state == "lifted":
        s = sanctions.transition(s, "lift", actor=supervisor, note="Settled.")
    return s


def sanction_data(action: str, citable) -> dict:
    return {"cite": {"case": citable.reference, "note": "Another one."},
            "issue": {"letter_reference": "ST1/X/2026/009"},
            "comply": {"note": "Paid."},
            "lift": {"note": "Settled at the meeting."},
            "withdraw": {"note": "Not needed."}}[action]


@pytest.mark.parametrize("state", SANCTION_STATES)
@pytest.mark.parametrize("action", sorted(SANCTION_STEPS))
def test_every_sanction_step_for_every_persona(action, state, traveller, people, supervisor, platform_a, make_case):
    states, allowed = SANCTION_STEPS[action]
    for persona in PERSONAS:
        sanction = sanction_in(state, supervisor, platform_a)
        # A case that missed its deadline and is not cited yet (cited by nobody: cite it by hand).
        citable = make_case(submit=True)
        type(citable).objects.filter(pk=citable.pk).update(overdue_at=T0, is_late=True)
        citable.refresh_from_db()
        before = Sanction.objects.values().get(pk=sanction.pk)
        events = SanctionEvent.objects.count()
        data = dict(sanction_data(action, citable))
        note = data.pop("note", "")
        if state in states and persona in allowed:
            done = sanctions.transition(sanction, action, actor=people[persona], note=note, **data)
            assert SanctionEvent.objects.count() == events + 1, (action, state, persona)
            event = SanctionEvent.objects.latest("id")
            assert (event.kind, event.from_status, event.to_status) == (action, state, done.status)
            assert event.actor == people[persona]
        else:
            with pytest.raises(SanctionError) as refused:
                sanctions.transition(sanction, action, actor=people[persona], note=note, **data)
            assert refused.value.code in ("state", "forbidden"), (action, state, persona, refused.value.message)
            assert SanctionEvent.objects.count() == events
            assert Sanction.objects.values().get(pk=sanction.pk) == before
            assert not SanctionCase.objects.filter(case=citable).exists()
        # Start the next persona from a clean platform: one pending proposal per platform.
        Sanction.objects.filter(pk=sanction.pk, status=SanctionStatus.PROPOSED).update(
            status=SanctionStatus.WITHDRAWN)
    chains_hold()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_propose(persona, traveller, people, platform_a):
    events = SanctionEvent.objects.count()
    kwargs = {"platform": platform_a, "level": SanctionLevel.WARNING_1, "reason": "Late again.",
              "content_category": Category.HOAX}
    if persona in DECIDERS | {"system"}:
        proposal = sanctions.transition(Sanction(), "propose", actor=people[persona], **kwargs)
        assert proposal.status == SanctionStatus.PROPOSED
        assert SanctionEvent.objects.count() == events + 1
    else:
        with pytest.raises(SanctionError):
            sanctions.transition(Sanction(), "propose", actor=people[persona], **kwargs)
        assert not Sanction.objects.exists() and SanctionEvent.objects.count() == events


def test_marking_complied_and_lifting_are_audited(traveller, supervisor, platform_a):
    """The hole the issue names: complied / paid and lifted wrote no audit row."""
    s = sanction_in("issued", supervisor, platform_a)
    sanctions.mark_complied(s, actor=supervisor, note="Paid on 3 March.")
    s2 = sanction_in("issued", supervisor, platform_a)
    sanctions.lift_sanction(s2, actor=supervisor, reason="Block no longer needed.")
    kinds = list(SanctionEvent.objects.order_by("id").values_list("sanction_id", "kind", "note"))
    assert (s.pk, "comply", "Paid on 3 March.") in kinds
    assert (s2.pk, "lift", "Block no longer needed.") in kinds
    chains_hold()


def test_a_proposal_without_a_content_basis_is_refused(traveller, supervisor, platform_a):
    with pytest.raises(SanctionError, match="content basis") as refused:
        sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.WARNING_1, actor=supervisor,
                                   reason="Late again.")
    assert refused.value.code == "invalid" and "content_category" in refused.value.field_errors
    assert not Sanction.objects.exists() and not SanctionEvent.objects.exists()


def test_skipping_a_rung_needs_a_reason_recorded_on_the_event(traveller, supervisor, platform_a):
    with pytest.raises(SanctionError, match="skips 3 rung") as refused:
        sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.FINE, actor=supervisor,
                                   reason="CSAM left up.", content_category=Category.CSAM)
    assert "skip_reason" in refused.value.field_errors and not Sanction.objects.exists()
    fine = sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.FINE, actor=supervisor,
                                      reason="CSAM left up.", content_category=Category.CSAM,
                                      skip_reason="CSAM: the law allows a fine at once.")
    event = SanctionEvent.objects.get(sanction=fine)
    assert event.data["skip_reason"] == "CSAM: the law allows a fine at once."
    assert event.data["skipped_rungs"] == 3 and event.data["expected_level"] == 1


def test_a_fine_on_a_category_basis_uses_that_category_not_other(traveller, supervisor, platform_a):
    policy = FinePolicy.objects.create(name="Decree", effective_from=T0.date(), points_cap=500,
                                       tariff_per_point=Decimal("1000000"))
    FineFactorValue.objects.create(policy=policy, factor="content", key="csam", value=Decimal("3.0"))
    FineFactorValue.objects.create(policy=policy, factor="content", key="other", value=Decimal("1.0"))
    fine = sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.FINE, actor=supervisor,
                                      reason="CSAM left up.", content_category=Category.CSAM,
                                      skip_reason="Severity.")
    fine = sanctions.issue_sanction(fine, actor=supervisor, letter_reference="DENDA/1")
    content = fine.fine_inputs["indices"]["content"]
    assert content["key"] == "csam" and content["defaulted"] is False
    assert fine.fine_inputs["content_basis"] == "category"
    # Indices the policy does not have are counted as 1 and say so.
    assert fine.fine_inputs["indices"]["virality"]["defaulted"] is True
    assert fine.amount == Decimal("1500000000")


def test_the_sweeper_proposes_and_cites_through_the_lifecycle(traveller, make_case):
    first = overdue_case(make_case, traveller)
    second = overdue_case(make_case, traveller)
    proposal = SanctionCase.objects.get(case=first).sanction
    assert SanctionCase.objects.get(case=second).sanction == proposal
    steps = list(SanctionEvent.objects.filter(sanction=proposal).order_by("id").values_list("kind", "actor_name"))
    assert steps == [("propose", "Patuh"), ("cite", "Patuh")]
    assert SanctionEvent.objects.get(kind="propose").data["cases"] == [first.reference]
    chains_hold()


# --- commitments -------------------------------------------------------------------------------------------

WRITERS = {"analyst", "supervisor", "administrator"}
COMMITMENT_STEPS = {
    "edit": ({"open", "in_progress", "overdue"}, DECIDERS),
    "progress": ({"open", "in_progress", "overdue"}, WRITERS | {"liaison_a"}),
    "start": ({"open"}, WRITERS | {"liaison_a"}),
    "fulfil": ({"open", "in_progress", "overdue"}, WRITERS),
    "mark_overdue": ({"open", "in_progress"}, WRITERS | {"system"}),
    "withdraw": ({"open", "in_progress", "overdue"}, DECIDERS),
    "reopen": ({"fulfilled", "withdrawn", "overdue"}, DECIDERS),
}
COMMITMENT_STATES = ("open", "in_progress", "fulfilled", "overdue", "withdrawn")
TO_STATE = {"in_progress": "start", "fulfilled": "fulfil", "overdue": "mark_overdue", "withdrawn": "withdraw"}


def commitment_in(state: str, supervisor, platform_a) -> Commitment:
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Moderator berbahasa Indonesia",
                                    kind="local_moderators")
    if state != "open":
        c = commitments.transition(c, TO_STATE[state], actor=supervisor, note="Set up for the test.")
    return c


def commitment_data(action: str) -> dict:
    if action == "edit":
        return {"text_en": "Indonesian-speaking moderators"}
    return {"note": "Twelve moderators hired.", "progress_percent": 40}


@pytest.mark.parametrize("state", COMMITMENT_STATES)
@pytest.mark.parametrize("action", sorted(COMMITMENT_STEPS))
def test_every_commitment_step_for_every_persona(action, state, traveller, people, supervisor, platform_a):
    states, allowed = COMMITMENT_STEPS[action]
    for persona in PERSONAS:
        commitment = commitment_in(state, supervisor, platform_a)
        before = Commitment.objects.values().get(pk=commitment.pk)
        events, updates = CommitmentEvent.objects.count(), CommitmentUpdate.objects.count()
        data = commitment_data(action)
        note = data.pop("note", "")
        if state in states and persona in allowed:
            done = commitments.transition(commitment, action, actor=people[persona], note=note, **data)
            assert CommitmentEvent.objects.count() == events + 1, (action, state, persona)
            event = CommitmentEvent.objects.latest("id")
            assert (event.kind, event.from_status, event.to_status) == (action, state, done.status)
        else:
            with pytest.raises(CommitmentError) as refused:
                commitments.transition(commitment, action, actor=people[persona], note=note, **data)
            assert refused.value.code in ("state", "forbidden"), (action, state, persona, refused.value.message)
            assert CommitmentEvent.objects.count() == events and CommitmentUpdate.objects.count() == updates
            assert Commitment.objects.values().get(pk=commitment.pk) == before
    chains_hold()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_record_a_commitment(persona, traveller, people, platform_a):
    if persona in DECIDERS:
        c = commitments.open_commitment(actor=people[persona], platform=platform_a, text="Direct line")
        assert c.status == CommitmentStatus.OPEN
        assert CommitmentEvent.objects.get(commitment=c).kind == "open"
    else:
        with pytest.raises(CommitmentError):
            commitments.open_commitment(actor=people[persona], platform=platform_a, text="Direct line")
        assert not Commitment.objects.exists() and not CommitmentEvent.objects.exists()


def test_an_edit_records_what_changed(traveller, supervisor, platform_a):
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Direct line", due_on=T0.date())
    commitments.transition(c, "edit", actor=supervisor, due_on=T0.date() + timedelta(days=30))
    event = CommitmentEvent.objects.filter(commitment=c).latest("id")
    assert event.data["fields"] == {"due_on": [T0.date().isoformat(), (T0.date() + timedelta(days=30)).isoformat()]}
    with pytest.raises(CommitmentError, match="Nothing changed"):
        commitments.transition(c, "edit", actor=supervisor, due_on=T0.date() + timedelta(days=30))


def test_progress_in_the_console_and_api_goes_through_the_lifecycle(traveller, supervisor, liaison_a, platform_a):
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Direct line")
    update = commitments.post_update(c, actor=liaison_a, note="Line opened.", status="in_progress",
                                     progress_percent=50)
    assert update.progress_percent == 50 and update.status == "in_progress"
    commitments.post_update(c, actor=liaison_a, note="Staffed 24/7.")
    kinds = list(CommitmentEvent.objects.filter(commitment=c).order_by("id").values_list("kind", flat=True))
    assert kinds == ["open", "start", "progress"]


def test_the_sweeper_marks_commitments_past_their_due_date_overdue(traveller, supervisor, platform_a):
    due = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Late", due_on=T0.date())
    later = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Later",
                                        due_on=T0.date() + timedelta(days=10))
    traveller.shift(timedelta(days=2))
    report = sweep()
    assert report.commitments_overdue == [due.pk]
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == ("overdue", "open")
    event = CommitmentEvent.objects.filter(commitment=due).latest("id")
    assert (event.kind, event.actor, event.actor_name) == ("mark_overdue", None, "Patuh")
    assert sweep().commitments_overdue == []  # once
    chains_hold()


def test_verify_audit_walks_the_sanction_and_commitment_chains(traveller, supervisor, platform_a):
    import io

    from django.core.management import CommandError, call_command
    from django.db import connection

    s = sanction_in("complied", supervisor, platform_a)
    commitment_in("fulfilled", supervisor, platform_a)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "sanction events: 3 rows, every link holds" in out.getvalue()
    assert "commitment events: 2 rows, every link holds" in out.getvalue()
    if connection.vendor == "postgresql":
        return  # the triggers refuse the edit below (tests/test_audit_chain.py shows it)
    with connection.cursor() as cursor:  # someone edits the record of a payment outside the application
        cursor.execute("UPDATE cases_sanctionevent SET note = 'Paid in full.' WHERE sanction_id = %s AND kind = %s",
                       [s.pk, "comply"])
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO())
    _head, broken = audit.verify(audit.SANCTION_EVENTS, SanctionEvent)
    assert broken is not None and "sanction events: broken link" in str(broken)
