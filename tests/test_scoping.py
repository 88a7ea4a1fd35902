"""The one rule for who sees what, per persona, on every model that has it."""

import pytest

from cases.cases.services.cases import add_comment
from cases.commitments.services.commitments import post_update
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.models import Case, CaseEvent, Commitment, CommitmentUpdate, Meeting, Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_case, platform_a, platform_b, analyst, liaison_a):
    draft_a = make_case()
    submitted_a = make_case(submit=True)
    submitted_b = make_case(submit=True, platform=platform_b)
    add_comment(submitted_a, actor=analyst, text="internal note", visibility=Visibility.INTERNAL)
    add_comment(submitted_a, actor=analyst, text="please act", visibility=Visibility.SHARED)
    meeting = Meeting.objects.create(title="Pertemuan", held_on="2017-08-01")
    meeting.platforms.set([platform_a])
    Commitment.objects.create(platform=platform_a, meeting=meeting, text="A's promise")
    Commitment.objects.create(platform=platform_b, text="B's promise")
    return {"draft_a": draft_a, "submitted_a": submitted_a, "submitted_b": submitted_b}


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "administrator", "auditor"])
def test_ministry_roles_see_everything(world, persona, request):
    user = request.getfixturevalue(persona)
    assert Case.objects.visible_to(user).count() == 3
    assert CaseEvent.objects.visible_to(user).count() == CaseEvent.objects.count()
    assert Commitment.objects.visible_to(user).count() == 2
    assert Platform.objects.visible_to(user).count() == 2


def test_a_liaison_sees_only_their_platforms_submitted_cases_and_shared_entries(world, liaison_a):
    assert list(Case.objects.visible_to(liaison_a)) == [world["submitted_a"]]
    events = CaseEvent.objects.visible_to(liaison_a)
    assert {e.case_id for e in events} == {world["submitted_a"].pk}
    assert all(e.visibility == Visibility.SHARED for e in events)
    assert "please act" in events.values_list("note", flat=True)
    assert "internal note" not in events.values_list("note", flat=True)
    assert not events.filter(kind=EventKind.CREATED).exists()  # creation is an internal draft matter
    assert list(Commitment.objects.visible_to(liaison_a).values_list("text", flat=True)) == ["A's promise"]
    assert list(Platform.objects.visible_to(liaison_a).values_list("slug", flat=True)) == ["telegram"]
    assert Meeting.objects.visible_to(liaison_a).count() == 1


def test_a_liaison_of_b_sees_nothing_of_a(world, liaison_b):
    cases = Case.objects.visible_to(liaison_b)
    assert list(cases) == [world["submitted_b"]]
    assert not cases.filter(pk=world["submitted_a"].pk).exists()  # a lookup by id finds nothing: 404
    assert not Meeting.objects.visible_to(liaison_b).exists()
    assert not CaseEvent.objects.visible_to(liaison_b).filter(case=world["submitted_a"]).exists()


def test_the_anonymous_visitor_and_a_user_without_role_see_nothing(world, anonymous, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    for user in (anonymous, nobody):
        assert not Case.objects.visible_to(user).exists()
        assert not CaseEvent.objects.visible_to(user).exists()
        assert not Platform.objects.visible_to(user).exists()


def test_a_liaison_without_the_role_sees_nothing_despite_a_membership(world, platform_a, django_user_model):
    from cases.models import PlatformMembership

    user = django_user_model.objects.create_user("former", password="x")
    PlatformMembership.objects.create(user=user, platform=platform_a)
    assert not Case.objects.visible_to(user).exists()


def test_a_liaison_comments_are_always_shared_and_only_on_their_cases(world, liaison_a, liaison_b):
    event = add_comment(world["submitted_a"], actor=liaison_a, text="Sedang ditinjau", visibility=Visibility.INTERNAL)
    assert event.visibility == Visibility.SHARED
    with pytest.raises(Exception, match="cannot comment"):
        add_comment(world["submitted_a"], actor=liaison_b, text="peek")
    with pytest.raises(Exception, match="cannot comment"):
        add_comment(world["draft_a"], actor=liaison_a, text="peek at a draft")
    assert world["draft_a"].status == CaseStatus.DRAFT


def test_a_liaison_posts_progress_on_their_own_commitments_only(world, liaison_a, liaison_b, supervisor):
    own = Commitment.objects.get(text="A's promise")
    update = post_update(own, actor=liaison_a, note="Team hired", progress_percent=40, status="in_progress")
    own.refresh_from_db()
    assert own.status == "in_progress" and update.progress_percent == 40
    with pytest.raises(Exception, match="do not act for this platform"):
        post_update(own, actor=liaison_b, note="not mine")
    with pytest.raises(Exception, match="cannot be declared fulfilled by you"):
        post_update(own, actor=liaison_a, note="done!", status="fulfilled")
    post_update(own, actor=supervisor, note="Verified in the field.", status="fulfilled")
    own.refresh_from_db()
    assert own.status == "fulfilled"
    assert CommitmentUpdate.objects.visible_to(liaison_b).count() == 0
    assert CommitmentUpdate.objects.visible_to(liaison_a).count() == 2


def test_a_draft_withdrawn_before_submission_never_reaches_the_platform(
    world, supervisor, liaison_a, analyst, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.cases.workflow import transition
    from cases.evidence.services.evidence import upload_evidence
    from cases.models import Evidence

    settings.EVIDENCE_ROOT = tmp_path
    draft = world["draft_a"]
    text = b"Catatan internal: tidak untuk platform."
    upload_evidence(case=draft, actor=analyst, file=SimpleUploadedFile("n.txt", text, "text/plain"),
                    kind="document", visibility=Visibility.SHARED)
    transition(draft, "withdraw", actor=supervisor, note="Internal: not worth sending.")
    assert not Case.objects.visible_to(liaison_a).filter(pk=draft.pk).exists()
    assert not CaseEvent.objects.visible_to(liaison_a).filter(case=draft).exists()
    assert not Evidence.objects.visible_to(liaison_a).filter(case=draft).exists()
    with pytest.raises(Exception, match="cannot comment"):
        add_comment(draft, actor=liaison_a, text="peek")


def test_a_liaison_cannot_overturn_the_ministrys_verdict_on_a_commitment(world, liaison_a, supervisor):
    commitment = Commitment.objects.get(text="A's promise")
    post_update(commitment, actor=supervisor, note="Missed the agreed date.", status="overdue")
    with pytest.raises(Exception, match="cannot be started"):
        post_update(commitment, actor=liaison_a, note="We are on it", status="in_progress")
    commitment.refresh_from_db()
    assert commitment.status == "overdue"
    post_update(commitment, actor=liaison_a, note="Progress without changing the status")


def test_a_liaison_does_not_see_joint_meetings(world, platform_a, platform_b, liaison_a, analyst):
    joint = Meeting.objects.create(title="Rapat bersama", held_on="2017-08-02")
    joint.platforms.set([platform_a, platform_b])
    assert joint not in Meeting.objects.visible_to(liaison_a)
    assert joint in Meeting.objects.visible_to(analyst)
