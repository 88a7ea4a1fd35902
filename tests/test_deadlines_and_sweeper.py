"""The clock: deadlines from policy, overdue and late facts, the sweeper, notices and the sanction ladder.

Time is controlled with time-machine; nothing here sleeps.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.commitments.selectors import measure_commitment
from cases.core.choices import (
    CaseStatus,
    Category,
    EventKind,
    FineFactor,
    PlatformStanding,
    SanctionLevel,
    SanctionStatus,
    Tier,
)
from cases.models import (
    CaseEvent,
    Commitment,
    DeadlineOverride,
    DeadlinePolicy,
    FineFactorValue,
    FinePolicy,
    Notification,
    Sanction,
    SanctionCase,
)
from cases.sanctions.services import sanctions

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta

# A hand-made proposal names its content basis (issue 15); a skipped rung, its reason.
BASIS = {"content_category": "terrorism", "skip_reason": "Decided at a meeting."}


@pytest.fixture
def traveller():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def test_urgent_cases_are_due_in_4_hours(traveller, make_case):
    case = make_case(category=Category.TERRORISM, submit=True)
    assert case.tier == Tier.URGENT
    assert case.due_at == T0 + timedelta(hours=4)
    assert case.deadline_hours == 4


def test_standard_cases_are_due_in_24_calendar_hours(traveller, make_case):
    traveller.move_to(datetime(2026, 3, 7, 10, 0, tzinfo=UTC))  # a Saturday: calendar hours, not working days
    case = make_case(category=Category.GAMBLING, submit=True)
    assert case.due_at == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


def test_an_analyst_may_raise_a_standard_category_to_urgent(traveller, make_case):
    case = make_case(category=Category.HOAX, tier=Tier.URGENT, submit=True)
    assert case.due_at == T0 + timedelta(hours=4)


def test_a_platform_override_wins_over_the_category_tier(traveller, make_case, platform_a, platform_b):
    DeadlineOverride.objects.create(platform=platform_a, category=Category.HOAX, hours=12, reason="commitment")
    DeadlineOverride.objects.create(platform=platform_a, hours=20, reason="platform-wide")
    on_a = make_case(category=Category.HOAX, submit=True)
    other_category = make_case(category=Category.GAMBLING, submit=True)
    on_b = make_case(category=Category.HOAX, platform=platform_b, submit=True)
    assert on_a.due_at == T0 + timedelta(hours=12)  # the most specific override
    assert other_category.due_at == T0 + timedelta(hours=20)  # the platform-wide override
    assert on_b.due_at == T0 + timedelta(hours=24)  # another platform keeps the policy
    assert on_a.events.get(kind=EventKind.SUBMITTED).data["deadline_source"].startswith("override:")


def test_an_edited_policy_applies_to_new_submissions(traveller, make_case):
    DeadlinePolicy.objects.filter(category=Category.HOAX).update(standard_hours=48)
    assert make_case(category=Category.HOAX, submit=True).due_at == T0 + timedelta(hours=48)


@pytest.mark.django_db(transaction=True)
def test_the_default_policies_and_role_groups_come_back_after_a_flush():
    """`flush` (which the suite runs after every transactional test) empties the tables the data migrations
    filled; post_migrate makes them again, so a test that reads them passes whatever ran before it (the suite
    runs in parallel, in no fixed order across files), and an edited policy is not reset by it."""
    from django.contrib.auth.models import Group

    from cases.core import roles

    DeadlinePolicy.objects.filter(category=Category.HOAX).update(standard_hours=48)
    call_command("flush", interactive=False, verbosity=0)
    assert sorted(DeadlinePolicy.objects.values_list("category", flat=True)) == sorted(c.value for c in Category)
    assert DeadlinePolicy.objects.get(category=Category.HOAX).standard_hours == 24
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_PERMISSIONS)
    # A real `migrate` (it has a plan, even with nothing to apply) leaves the rows to the data migrations: a
    # policy deleted since stays deleted (at an older migration, today's model would not fit the tables).
    DeadlinePolicy.objects.filter(category=Category.HOAX).delete()
    call_command("migrate", verbosity=0)
    assert not DeadlinePolicy.objects.filter(category=Category.HOAX).exists()


def test_late_means_the_action_was_reported_after_the_deadline(traveller, make_case, liaison_a):
    on_time, late = make_case(submit=True), make_case(submit=True)
    traveller.shift(timedelta(hours=23))
    transition(on_time, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    traveller.shift(timedelta(hours=2))
    transition(late, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    assert on_time.is_late is False
    assert late.is_late is True
    assert late.events.get(kind=EventKind.ACTION_REPORTED).data["late"] is True


def test_reopening_starts_a_new_deadline(traveller, make_case, liaison_a, analyst):
    case = make_case(submit=True)
    traveller.shift(timedelta(hours=30))
    sweep()
    case.refresh_from_db()
    assert case.overdue_at == T0 + timedelta(hours=24)
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    assert case.is_late
    traveller.shift(timedelta(hours=2))
    transition(case, "reopen", actor=analyst, note="Still reachable.")
    assert case.status == CaseStatus.SUBMITTED
    assert case.due_at == T0 + timedelta(hours=32 + 24)
    assert (case.overdue_at, case.is_late, case.action_taken) == (None, False, "")
    assert case.submission_count == 2
    reopened = case.events.get(kind=EventKind.REOPENED)
    assert reopened.data["previous_overdue_at"] == (T0 + timedelta(hours=24)).isoformat()


def test_a_rejected_objection_resumes_the_clock_with_the_time_that_was_left(traveller, make_case, liaison_a,
                                                                            supervisor):
    case = make_case(category=Category.TERRORISM, submit=True)  # due in 4 h
    traveller.shift(timedelta(hours=1))
    transition(case, "object", actor=liaison_a, reason="lawful", text="News footage.")
    traveller.shift(timedelta(hours=10))  # the old deadline passes while objected: the clock is stopped
    assert sweep().overdue == []
    transition(case, "reject_objection", actor=supervisor, note="Propaganda, not news.")
    assert case.status == CaseStatus.ACKNOWLEDGED
    assert case.due_at == T0 + timedelta(hours=11 + 3)  # the 3 h that were left
    assert case.submission_count == 1
    cycle = case.cycles.get()
    assert (cycle.due_at, cycle.first_due_at, cycle.objection_rule) == (case.due_at, T0 + timedelta(hours=4), "resume")
    assert cycle.objections[0]["outcome"] == "rejected" and cycle.objections[0]["minutes_left"] == 180
    assert case.events.get(kind=EventKind.OBJECTION_REJECTED).data["resumed"] == "remaining"


def test_a_last_minute_objector_still_gets_an_hour(traveller, make_case, liaison_a, supervisor):
    case = make_case(category=Category.TERRORISM, submit=True)
    traveller.shift(timedelta(hours=3, minutes=50))  # 10 minutes left
    transition(case, "object", actor=liaison_a, reason="lawful", text="News footage.")
    traveller.shift(timedelta(hours=2))
    transition(case, "reject_objection", actor=supervisor, note="No.")
    assert case.due_at == T0 + timedelta(hours=5, minutes=50) + timedelta(hours=1)


def test_a_deadline_policy_may_grant_a_fresh_window_and_the_cycle_records_it(traveller, make_case, liaison_a,
                                                                              supervisor):
    DeadlinePolicy.objects.filter(category=Category.TERRORISM).update(objection_rule="fresh")
    case = make_case(category=Category.TERRORISM, submit=True)
    traveller.shift(timedelta(hours=1))
    transition(case, "object", actor=liaison_a, reason="lawful", text="News footage.")
    DeadlinePolicy.objects.filter(category=Category.TERRORISM).update(objection_rule="resume")  # too late to matter
    traveller.shift(timedelta(hours=10))
    transition(case, "reject_objection", actor=supervisor, note="Propaganda, not news.")
    assert case.due_at == T0 + timedelta(hours=11 + 4)
    assert case.cycles.get().objection_rule == "fresh"


def test_the_sweeper_marks_overdue_once_proposes_a_warning_and_emails_supervisors(
    traveller, make_case, supervisor, liaison_a
):
    case = make_case(category=Category.TERRORISM, submit=True)
    mail.outbox.clear()
    traveller.shift(timedelta(hours=3, minutes=59))
    assert sweep().overdue == []
    traveller.shift(timedelta(minutes=2))
    report = sweep()
    assert report.overdue == [case.reference]
    case.refresh_from_db()
    assert case.overdue_at == case.due_at
    assert case.events.filter(kind=EventKind.OVERDUE).count() == 1
    proposal = Sanction.objects.get(platform=case.platform)
    assert (proposal.level, proposal.status) == (SanctionLevel.WARNING_1, SanctionStatus.PROPOSED)
    assert list(proposal.cases.all()) == [case]
    overdue_mail = [m for m in mail.outbox if "Overdue" in m.subject]
    assert [m.to for m in overdue_mail] == [[supervisor.email]]
    # A second run, or a tenth, changes nothing.
    for _ in range(3):
        assert sweep().overdue == []
    assert case.events.filter(kind=EventKind.OVERDUE).count() == 1
    assert Sanction.objects.count() == 1
    assert len([m for m in mail.outbox if "Overdue" in m.subject]) == 1


def test_overdue_is_not_a_guess_after_the_action(traveller, make_case, liaison_a):
    case = make_case(submit=True)
    traveller.shift(timedelta(hours=23))
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    traveller.shift(timedelta(hours=5))
    assert sweep().overdue == []
    case.refresh_from_db()
    assert case.overdue_at is None and not case.is_late


def test_liaisons_are_told_of_new_cases_urgent_ones_marked(traveller, make_case, liaison_a, liaison_b):
    mail.outbox.clear()
    urgent = make_case(category=Category.CSAM, submit=True)
    make_case(category=Category.HOAX, submit=True)
    sweep()
    subjects = sorted(m.subject for m in mail.outbox if m.to == [liaison_a.email])
    assert len(subjects) == 2
    assert any(s.startswith("[URGENT]") and urgent.reference in s for s in subjects)
    assert not [m for m in mail.outbox if m.to == [liaison_b.email]]


def test_drafts_notify_nobody(traveller, make_case, liaison_a):
    make_case()
    assert not Notification.objects.exists()


def test_liaisons_are_warned_shortly_before_a_deadline_once(traveller, make_case, liaison_a):
    case = make_case(category=Category.TERRORISM, submit=True)
    sweep()
    mail.outbox.clear()
    traveller.shift(timedelta(hours=2, minutes=30))
    sweep()
    assert mail.outbox == []  # 90 minutes left: not yet
    traveller.shift(timedelta(minutes=40))
    sweep()
    sweep()
    assert [m.subject for m in mail.outbox] == [f"Deadline approaching for {case.reference}: due 2 Mar 2026 12:00 WIB"]


def test_a_platform_without_liaisons_is_emailed_at_its_contact_address(traveller, make_case, platform_b):
    mail.outbox.clear()
    make_case(platform=platform_b, submit=True)
    sweep()
    assert [m.to for m in mail.outbox] == [[platform_b.contact_email]]


def test_a_failed_send_stays_queued_and_is_retried(traveller, make_case, liaison_a, settings):
    make_case(submit=True)
    settings.EMAIL_BACKEND = "tests.test_deadlines_and_sweeper.BrokenBackend"
    report = sweep()
    assert (report.sent, report.failed) == (0, 1)
    note = Notification.objects.get()
    assert note.sent_at is None and "refused" in note.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert sweep().sent == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused")


def test_dry_run_changes_nothing(traveller, make_case, capsys):
    case = make_case(category=Category.TERRORISM, submit=True)
    traveller.shift(timedelta(hours=5))
    events, notes = CaseEvent.objects.count(), Notification.objects.filter(sent_at__isnull=False).count()
    call_command("sweep_deadlines", "--dry-run")
    assert f"Would mark 1 case(s) overdue: {case.reference}" in capsys.readouterr().out
    case.refresh_from_db()
    assert case.overdue_at is None
    assert CaseEvent.objects.count() == events
    assert Notification.objects.filter(sent_at__isnull=False).count() == notes
    assert not Sanction.objects.exists()


def test_the_ladder_climbs_one_rung_per_issued_step(traveller, make_case, supervisor, platform_a):
    FinePolicy.objects.create(name="Flat", effective_from=T0.date(), points_cap=100, tariff_per_point=Decimal(1000))
    levels = []
    for _ in range(6):
        case = make_case(category=Category.TERRORISM, submit=True)
        traveller.shift(timedelta(hours=5))
        sweep()
        proposal = SanctionCase.objects.get(case=case).sanction
        levels.append(proposal.level)
        sanctions.issue_sanction(proposal, actor=supervisor, letter_reference=f"L-{len(levels)}")
    assert levels == [1, 2, 3, 4, 5, 5]  # capped at the access-blocking recommendation
    fine = Sanction.objects.get(level=SanctionLevel.FINE)
    assert fine.amount == Decimal(100_000)  # no factors configured: every index defaults to 1, and says so
    assert all(i["defaulted"] for i in fine.fine_inputs["indices"].values())
    assert sanctions.platform_standing(platform_a) == PlatformStanding.BLOCKED


def test_overdue_cases_join_the_pending_proposal(traveller, make_case):
    first, second = make_case(submit=True), make_case(submit=True)
    traveller.shift(timedelta(hours=25))
    sweep()
    proposal = Sanction.objects.get()
    assert set(proposal.cases.all()) == {first, second}
    assert proposal.level == SanctionLevel.WARNING_1


def test_a_liaison_sees_sanctions_only_once_issued(traveller, make_case, supervisor, liaison_a, liaison_b):
    make_case(submit=True)
    traveller.shift(timedelta(hours=25))
    sweep()
    proposal = Sanction.objects.get()
    assert not Sanction.objects.visible_to(liaison_a).exists()
    sanctions.issue_sanction(proposal, actor=supervisor, letter_reference="ST1/TG/2026/001")
    assert list(Sanction.objects.visible_to(liaison_a)) == [proposal]
    assert not Sanction.objects.visible_to(liaison_b).exists()


def test_only_supervisors_decide_sanctions(traveller, make_case, analyst, liaison_a):
    make_case(submit=True)
    traveller.shift(timedelta(hours=25))
    sweep()
    proposal = Sanction.objects.get()
    for actor in (analyst, liaison_a):
        with pytest.raises(Exception, match="cannot be issued by you; only these roles may: supervisor, administrator"):
            sanctions.issue_sanction(proposal, actor=actor, letter_reference="x")
    proposal.refresh_from_db()
    assert proposal.status == SanctionStatus.PROPOSED


def test_issuing_needs_a_letter_reference_and_lifting_a_reason(traveller, make_case, supervisor):
    make_case(submit=True)
    traveller.shift(timedelta(hours=25))
    sweep()
    proposal = Sanction.objects.get()
    with pytest.raises(Exception, match="letter"):
        sanctions.issue_sanction(proposal, actor=supervisor, letter_reference=" ")
    issued = sanctions.issue_sanction(proposal, actor=supervisor, letter_reference="ST1/1")
    assert sanctions.platform_standing(issued.platform) == PlatformStanding.WARNED
    with pytest.raises(Exception, match="reason"):
        sanctions.lift_sanction(issued, actor=supervisor, reason="")
    sanctions.lift_sanction(issued, actor=supervisor, reason="Complied after the meeting.")
    assert sanctions.platform_standing(issued.platform) == PlatformStanding.ACTIVE
    with pytest.raises(Exception, match="cannot be issued"):
        sanctions.issue_sanction(issued, actor=supervisor, letter_reference="again")


def test_a_fine_is_computed_from_the_policy_and_its_inputs_kept(traveller, make_case, supervisor, platform_a):
    policy = FinePolicy.objects.create(name="Decree 2026", effective_from=T0.date(), points_cap=500,
                                       tariff_per_point=Decimal("1000000"))
    for factor, key, value in [
        (FineFactor.CONTENT, "terrorism", "2.0"), (FineFactor.PLATFORM_TYPE, "social_media", "1.2"),
        (FineFactor.BUSINESS_SCALE, "large", "0.8"), (FineFactor.WARNING_LEVEL, "3", "1.0"),
        (FineFactor.HISTORY, "0", "1.0"), (FineFactor.VIRALITY, "high", "0.5"),
    ]:
        FineFactorValue.objects.create(policy=policy, factor=factor, key=key, value=Decimal(value))
    for level in (1, 2, 3):
        s = sanctions.propose_sanction(platform=platform_a, level=level, actor=supervisor, reason="history",
        **BASIS)
        sanctions.issue_sanction(s, actor=supervisor, letter_reference=f"ST{level}")
    case = make_case(category=Category.TERRORISM, submit=True)
    traveller.shift(timedelta(hours=5))
    sweep()
    fine = Sanction.objects.get(status=SanctionStatus.PROPOSED)
    assert fine.level == SanctionLevel.FINE
    fine = sanctions.issue_sanction(fine, actor=supervisor, letter_reference="DENDA/1", virality="high")
    # 2.0 × 1.2 × 0.8 × 1.0 × 1.0 × 0.5 = 0.96; × 500 points × Rp 1,000,000 = Rp 480,000,000
    assert fine.amount == Decimal("480000000")
    assert fine.fine_inputs["indices"]["content"] == {"key": "terrorism", "value": "2.000", "defaulted": False}
    assert fine.fine_inputs["product"].startswith("0.96")
    assert case in fine.cases.all()
    sanctions.mark_complied(fine, actor=supervisor, note="Paid")
    fine.refresh_from_db()
    assert fine.status == SanctionStatus.COMPLIED and fine.complied_at is not None


def test_a_fine_without_a_policy_in_force_is_refused(traveller, platform_a, supervisor):
    s = sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.FINE, actor=supervisor, reason="r",
        **BASIS)
    with pytest.raises(Exception, match="No fine policy is in force"):
        sanctions.issue_sanction(s, actor=supervisor, letter_reference="DENDA/1")
    s.refresh_from_db()
    assert s.status == SanctionStatus.PROPOSED and s.amount is None


def test_a_measured_commitment_is_computed_from_the_cases(traveller, make_case, liaison_a, platform_a):
    commitment = Commitment.objects.create(platform=platform_a, text="Tutup kanal teror dalam sehari",
                                           measured_category=Category.TERRORISM, target_hours=24)
    fast, slow, pending, other = (make_case(category=c, submit=True) for c in
                                  (Category.TERRORISM, Category.TERRORISM, Category.TERRORISM, Category.HOAX))
    traveller.shift(timedelta(hours=2))
    transition(fast, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    traveller.shift(timedelta(hours=30))
    transition(slow, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=T0)
    fresh = make_case(category=Category.TERRORISM, submit=True)  # inside its 24 h: not yet decided
    measure = measure_commitment(commitment, start=T0 - timedelta(days=1))
    assert (measure.cases, measure.met, measure.pending, measure.decided) == (4, 1, 1, 3)
    assert measure.share == round(1 / 3, 4)
    assert fresh and pending and other


def test_objecting_after_the_deadline_does_not_wash_the_case_clean(traveller, make_case, liaison_a, supervisor):
    case = make_case(category=Category.TERRORISM, submit=True)
    traveller.shift(timedelta(hours=5))
    sweep()
    transition(case, "object", actor=liaison_a, reason="lawful", text="Stalling")
    transition(case, "reject_objection", actor=supervisor, note="No.")
    assert case.overdue_at == T0 + timedelta(hours=4)  # the missed deadline stays a fact
    traveller.shift(timedelta(hours=1))  # well inside the new window
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock_now())
    assert case.is_late is True
    assert sweep().overdue == []  # and no second overdue event or proposal for the same miss


def clock_now():
    from cases.core import clock

    return clock.now()


def test_the_sweeper_forgets_idempotency_keys_after_their_lifetime(traveller, analyst):
    from cases.models import IdempotencyKey

    IdempotencyKey.objects.create(user=analyst, key="old", request_hash="a" * 64, response_status=200)
    traveller.shift(timedelta(hours=23))
    IdempotencyKey.objects.create(user=analyst, key="recent", request_hash="b" * 64, response_status=200)
    traveller.shift(timedelta(hours=2))
    assert sweep().expired_keys == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]
