"""Both consoles, per persona, and a walker over every registered admin URL.

The walker enumerates the registered ModelAdmins of both sites and every URL pattern they expose, so a new
admin (or a new custom URL) is covered without editing this file.
"""

import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone

from cases.cases.services.cases import add_comment
from cases.cases.workflow import transition
from cases.commitments.services.commitments import post_update
from cases.core import clock
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.evidence.services.evidence import upload_evidence
from cases.models import (
    Case,
    CaseEvent,
    Commitment,
    CommitmentUpdate,
    CustodyEvent,
    DeadlineOverride,
    Evidence,
    Meeting,
    Notification,
    Platform,
    PlatformMembership,
    Sanction,
    SanctionCase,
)
from cases.sanctions.services import sanctions
from cases.sites import platform_site

pytestmark = pytest.mark.django_db

# A well-formed 1x1 PNG (the earlier one was a byte short in its IDAT chunk; uploads now walk a PNG's chunks).
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\x0bIDATx\xdac`\x00\x02\x00\x00\x05\x00\x01\xe9\xfa\xdc\xd8\x00\x00\x00\x00IEND\xaeB`\x82")

# A hand-made proposal names its content basis (issue 15); a skipped rung, its reason.
BASIS = {"content_category": "terrorism", "skip_reason": "Decided at a meeting."}


@pytest.fixture
def world(make_case, platform_a, platform_b, analyst, supervisor, liaison_a, liaison_b, settings, tmp_path):
    """One of everything belonging to platform A, and a little of B."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True, url="https://t.me/a_secret_channel/1")
    add_comment(case, actor=analyst, text="internal A note", visibility=Visibility.INTERNAL)
    evidence = upload_evidence(case=case, actor=analyst, file=SimpleUploadedFile("shot.png", PNG, "image/png"),
                               kind="screenshot", visibility=Visibility.SHARED)
    meeting = Meeting.objects.create(title="Rapat A", held_on="2017-08-01")
    meeting.platforms.set([platform_a])
    commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Janji A")
    update = post_update(commitment, actor=liaison_a, note="progress A")
    proposal = sanctions.propose_sanction(platform=platform_a, level=1, actor=supervisor, reason="late",
        **BASIS)
    issued = sanctions.issue_sanction(proposal, actor=supervisor, letter_reference="ST1/A")
    override = DeadlineOverride.objects.create(platform=platform_a, hours=12)
    b_case = make_case(submit=True, platform=platform_b, url="https://facebook.com/b/1")
    return {
        Case: case, CaseEvent: case.events.first(), Evidence: evidence, CustodyEvent: evidence.custody_events.first(),
        Meeting: meeting, Commitment: commitment, CommitmentUpdate: update, Sanction: issued,
        SanctionCase: SanctionCase.objects.first(), Platform: platform_a, DeadlineOverride: override,
        PlatformMembership: PlatformMembership.objects.get(user=liaison_a), "b_case": b_case,
        Notification: Notification.objects.filter(case=case).first(),
    }


def _object_urls(site, model_admin, obj_id):
    """Every URL this ModelAdmin exposes for one object, with each custom parameter filled in."""
    fillers = {"action": ["acknowledge", "report_action", "object", "withdraw", "verify"], "step": ["issue", "lift"]}
    for pattern in model_admin.get_urls():
        if not isinstance(pattern, URLPattern) or "object_id" not in str(pattern.pattern):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        options = [{}]
        for name in names:
            if name == "object_id":
                options = [{**o, name: obj_id} for o in options]
            else:
                options = [{**o, name: v} for o in options for v in fillers.get(name, ["x"])]
        for kwargs in options:
            if pattern.name:
                yield reverse(f"{site.name}:{pattern.name}", kwargs=kwargs)


def _sites():
    return [admin.site, platform_site]


def test_liaison_b_gets_404_or_nothing_on_every_admin_url_for_platform_a(client, world, liaison_b):
    client.force_login(liaison_b)
    probed = 0
    a_case = world[Case]
    for site in _sites():
        for model, model_admin in site._registry.items():
            obj = world.get(model) or model._default_manager.first()
            opts = model._meta
            changelist = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
            response = client.get(changelist, follow=True)  # the inbox opens at ?awaiting=true
            probed += 1
            if site is admin.site:
                assert response.status_code == 404, changelist
            else:
                assert response.status_code == 200, changelist
                body = response.content.decode()
                assert a_case.reference not in body and "a_secret_channel" not in body, changelist
                if obj is not None and model is not Platform:
                    assert f"/{obj.pk}/change/" not in body or model not in world, changelist
            # An add page may exist for what a liaison owns (their API tokens), but shows nothing of A's,
            # and an empty post creates nothing.
            add = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_add")
            before = model._default_manager.count()
            for response in (client.get(add), client.post(add, {})):
                assert response.status_code in (200, 404), add
                assert a_case.reference not in response.content.decode(), add
                assert response.status_code == 404 or site is platform_site, add
            assert model._default_manager.count() == before, add
            probed += 2
            if obj is None:
                continue
            for url in _object_urls(site, model_admin, obj.pk):
                for method in (client.get, client.post):
                    response = method(url)
                    probed += 1
                    assert response.status_code == 404, f"{method.__name__} {url}: {response.status_code}"
        for model_admin in site._registry.values():
            opts = model_admin.model._meta
            auto = reverse(f"{site.name}:autocomplete")
            response = client.get(auto, {"app_label": opts.app_label, "model_name": opts.model_name,
                                         "field_name": "platform", "term": "Tele"})
            probed += 1
            assert response.status_code == 404 or "Telegram" not in response.content.decode(), auto
    assert probed > 100
    # And nothing of A's changed.
    a_case.refresh_from_db()
    assert a_case.status == CaseStatus.SUBMITTED
    assert Sanction.objects.get(pk=world[Sanction].pk).status == "issued"


def test_liaison_a_sees_their_inbox_sorted_by_deadline_and_nothing_of_b(client, world, liaison_a, make_case):
    urgent = make_case(category="terrorism", submit=True)
    client.force_login(liaison_a)
    response = client.get(reverse("platform:cases_case_changelist"), follow=True)
    # The inbox opens on what awaits the platform, and its URL says so (the API's parameter).
    assert response.redirect_chain == [(reverse("platform:cases_case_changelist") + "?awaiting=true", 302)]
    body = response.content.decode()
    assert response.status_code == 200
    assert urgent.reference in body and world[Case].reference in body
    assert body.index(urgent.reference) < body.index(world[Case].reference)  # due first, shown first
    assert world["b_case"].reference not in body
    assert "left" in body  # time left shown


def test_liaison_a_acknowledges_and_reports_action_in_the_console(client, world, liaison_a):
    case = world[Case]
    client.force_login(liaison_a)
    page = client.get(reverse("platform:cases_case_change", args=[case.pk])).content.decode()
    actions = set(re.findall(r"/act/(\w+)/", page))
    assert actions == {"acknowledge", "report_action", "object"}
    url = reverse("platform:cases_case_transition", args=[case.pk, "acknowledge"])
    response = client.post(url, {"version": case.version, "note": "Received"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED
    url = reverse("platform:cases_case_transition", args=[case.pk, "report_action"])
    future = clock.now().replace(year=clock.now().year + 1).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"version": case.version, "action_taken": "removed", "action_taken_at": future})
    assert response.status_code == 200
    assert "may not be in the future" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACKNOWLEDGED
    now = timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"version": case.version, "action_taken": "removed", "action_taken_at": now})
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED and case.action_taken == "removed"


def test_the_liaison_case_page_hides_internal_comments(client, world, liaison_a, analyst):
    add_comment(world[Case], actor=analyst, text="shared request to act", visibility=Visibility.SHARED)
    client.force_login(liaison_a)
    page = client.get(reverse("platform:cases_case_change", args=[world[Case].pk])).content.decode()
    assert "shared request to act" in page
    assert "internal A note" not in page


def test_a_stale_console_form_changes_nothing(client, world, liaison_a, supervisor):
    case = world[Case]
    stale_version = case.version
    transition(case, "withdraw", actor=supervisor, note="Wrong platform")
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_transition", args=[case.pk, "acknowledge"])
    response = client.post(url, {"version": stale_version}, follow=True)
    assert "already withdrawn" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_ministry_staff_cannot_use_the_platform_console_and_liaisons_not_the_ministry_console(
    client, analyst, liaison_a
):
    client.force_login(analyst)
    assert client.get("/platform/").status_code == 302  # to the platform login: no membership
    client.force_login(liaison_a)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/cases/case/").status_code == 404


def test_the_anonymous_visitor_is_sent_to_log_in(client, world):
    for url in ("/admin/", "/admin/cases/case/", "/platform/", f"/platform/cases/case/{world[Case].pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_an_analyst_opens_a_case_in_the_console_and_a_duplicate_names_the_first(client, analyst, platform_a):
    client.force_login(analyst)
    data = {"platform": platform_a.pk, "category": "gambling", "tier": "", "location_url": "https://t.me/slot88/5",
            "handle": "", "native_id": "", "legal_basis": "UU ITE 27(2)", "reasons": "Gambling promotion",
            "requested_action": "remove", "source": "crawler", "source_detail": "AIS", "assigned_to": ""}
    response = client.post(reverse("admin:cases_case_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert case.tier == "standard" and case.created_by == analyst
    assert case.events.filter(kind=EventKind.CREATED).count() == 1
    response = client.post(reverse("admin:cases_case_add"), {**data, "location_url": "http://www.t.me/slot88/5/"})
    assert response.status_code == 200
    assert f"An open case already exists for this location on this platform: {case.reference}" in (
        response.content.decode())
    assert Case.objects.count() == 1


def test_an_analyst_submits_from_the_case_page_and_sees_only_allowed_buttons(client, analyst, make_case):
    case = make_case()
    client.force_login(analyst)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert set(re.findall(r"/act/(\w+)/", page)) == {"submit"}  # analysts do not withdraw
    response = client.post(reverse("admin:cases_case_transition", args=[case.pk, "submit"]),
                           {"version": case.version, "note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.due_at is not None


def test_bulk_actions_go_through_the_service_and_report_refusals(client, supervisor, make_case, liaison_a):
    drafts = [make_case() for _ in range(3)]
    done = make_case(submit=True)
    transition(done, "withdraw", actor=supervisor, note="x")
    client.force_login(supervisor)
    url = reverse("admin:cases_case_changelist")
    ids = [c.pk for c in drafts] + [done.pk]
    response = client.post(url, {"action": "submit_selected", "_selected_action": ids}, follow=True)
    body = response.content.decode()
    assert f"Case {done.reference} is already withdrawn; it cannot be submitted." in body
    assert Case.objects.filter(pk__in=[c.pk for c in drafts], status=CaseStatus.SUBMITTED).count() == 3
    # Withdrawing needs a note: the action asks for it first.
    response = client.post(url, {"action": "withdraw_selected", "_selected_action": [drafts[0].pk]})
    assert response.status_code == 200 and "Note" in response.content.decode()
    assert Case.objects.get(pk=drafts[0].pk).status == CaseStatus.SUBMITTED
    client.post(url, {"action": "withdraw_selected", "_selected_action": [drafts[0].pk], "apply": "1",
                      "note": "Sent to the wrong platform"})
    assert Case.objects.get(pk=drafts[0].pk).status == CaseStatus.WITHDRAWN


def test_the_auditor_reads_everything_and_changes_nothing(client, auditor, world):
    client.force_login(auditor)
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 200
    page = client.get(reverse("admin:cases_case_change", args=[world[Case].pk])).content.decode()
    assert "internal A note" in page
    assert 'name="_save"' not in page and "Submit to platform" not in page
    assert client.post(reverse("admin:cases_case_add"), {}).status_code == 403
    assert client.post(reverse("admin:cases_case_comment", args=[world[Case].pk]), {"text": "hi"}).status_code == 302
    assert not CaseEvent.objects.filter(note="hi").exists()


def test_only_supervisors_issue_sanctions_in_the_console(client, analyst, supervisor, platform_a):
    proposal = sanctions.propose_sanction(platform=platform_a, level=2, actor=supervisor, reason="overdue",
        **BASIS)
    url = reverse("admin:cases_sanction_step", args=[proposal.pk, "issue"])
    client.force_login(analyst)
    assert client.post(url, {"letter_reference": "ST2/X", "virality": "low"}).status_code == 403
    client.force_login(supervisor)
    response = client.post(url, {"letter_reference": "ST2/X", "virality": "low"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "issued" and proposal.issued_by == supervisor


def test_filter_choices_and_dropdowns_are_scoped(rf, liaison_a, analyst, world, platform_a, platform_b):
    from cases.core.admin.base import ScopedAdmin, ScopedRelatedFilter

    field = Case._meta.get_field("platform")
    model_admin = ScopedAdmin(Case, platform_site)
    for user, expected in ((liaison_a, {platform_a.pk}), (analyst, {platform_a.pk, platform_b.pk})):
        request = rf.get("/")
        request.user = user
        choices = ScopedRelatedFilter(field, request, {}, Case, model_admin, "platform").lookup_choices
        assert {pk for pk, _label in choices} == expected
        dropdown = model_admin.formfield_for_foreignkey(field, request)
        assert set(dropdown.queryset.values_list("pk", flat=True)) == expected


def test_a_liaison_posts_commitment_progress(client, liaison_a, world):
    commitment = world[Commitment]
    client.force_login(liaison_a)
    url = reverse("platform:cases_commitment_progress", args=[commitment.pk])
    client.post(url, {"note": "Moderators hired", "status": "in_progress", "progress_percent": 60})
    assert commitment.updates.filter(note="Moderators hired", progress_percent=60).exists()


def test_the_changelists_and_dashboards_run_a_fixed_number_of_queries(
    client, make_case, analyst, liaison_a, django_assert_max_num_queries, platform_a
):
    pages = [
        (analyst, reverse("admin:cases_case_changelist")),
        (analyst, reverse("admin:cases_case_changelist") + "?deadline_state=on_time&status=submitted"),
        (analyst, reverse("admin:index")),
        (liaison_a, reverse("platform:cases_case_changelist") + "?awaiting=true"),
        (liaison_a, reverse("platform:index")),
    ]
    def measure():
        counts = []
        for user, url in pages:
            client.force_login(user)
            with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx))
        return counts

    made, by_size = 0, {}
    for size in (5, 40):
        for i in range(made, size):
            case = make_case(submit=True, url=f"https://t.me/q/{i}", assigned_to=analyst)
            if i % 3 == 0:
                transition(case, "acknowledge", actor=liaison_a)
        made = size
        by_size[size] = measure()
    # The same number of queries for 5 cases or 40: nothing is fetched per row.
    assert by_size[5] == by_size[40]


def test_the_dashboard_counts_what_it_shows(client, analyst, make_case, liaison_a):
    make_case(submit=True, category="terrorism")
    client.force_login(analyst)
    response = client.get(reverse("admin:index"))
    assert response.context["headline"]["open"] == 1
    assert "<svg" in response.content.decode()
    client.force_login(liaison_a)
    assert client.get(reverse("platform:index")).context["headline"]["open"] == 1


def test_evidence_downloads_from_the_case_page_stay_scoped(client, liaison_a, liaison_b, world):
    url = reverse("cases:evidence-download", args=[world[Evidence].pk])
    client.force_login(liaison_a)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    client.force_login(liaison_b)
    assert client.get(url).status_code == 404


def test_a_report_with_response_evidence_stands_or_falls_together(client, world, liaison_a):
    case = world[Case]
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_transition", args=[case.pk, "report_action"])
    now = timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")
    exe = SimpleUploadedFile("proof.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png")
    response = client.post(url, {"version": case.version, "action_taken": "removed", "action_taken_at": now,
                                 "response_evidence": exe})
    assert response.status_code == 200
    assert "executable" in response.content.decode().lower()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED  # the refused upload undid the report too
    assert not case.events.filter(kind=EventKind.ACTION_REPORTED).exists()
    proof = SimpleUploadedFile("proof.png", PNG, "image/png")
    response = client.post(url, {"version": case.version, "action_taken": "removed", "action_taken_at": now,
                                 "response_evidence": proof})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIONED
    response_item = case.evidence.get(kind="platform_response")
    assert response_item.visibility == Visibility.SHARED and response_item.uploaded_by == liaison_a


def test_long_lists_are_counted_only_up_to_a_cap(client, analyst, make_case, monkeypatch):
    from cases.core.admin.base import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    for i in range(8):
        make_case(url=f"https://t.me/cap/{i}")
    client.force_login(analyst)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts)  # never an unbounded COUNT(*)
    assert response.context["cl"].result_count >= 6


def test_a_liaison_comments_in_the_console(client, world, liaison_a):
    client.force_login(liaison_a)
    url = reverse("platform:cases_case_comment", args=[world[Case].pk])
    client.post(url, {"text": "Sedang kami tinjau."})
    event = world[Case].events.get(kind=EventKind.COMMENT, note="Sedang kami tinjau.")
    assert event.visibility == Visibility.SHARED and event.actor == liaison_a


def test_an_analyst_edits_a_draft_including_its_assignee(client, analyst, supervisor, make_case, platform_a):
    case = make_case()
    client.force_login(analyst)
    data = {"platform": platform_a.pk, "category": case.category, "tier": case.tier, "location_url": case.location_url,
            "handle": "", "native_id": "", "legal_basis": "UU ITE Pasal 28 ayat (1)", "reasons": "Sharper reasons.",
            "requested_action": "remove", "source": "ministry", "source_detail": "", "assigned_to": supervisor.pk,
            "version": case.version}
    response = client.post(reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 302, response.content.decode()[:1500]
    case.refresh_from_db()
    assert (case.reasons, case.assigned_to) == ("Sharper reasons.", supervisor)
    assert set(case.events.values_list("kind", flat=True)) >= {"edited", "assigned"}
    # The same form again is now stale: refused with a message, nothing changed.
    response = client.post(reverse("admin:cases_case_change", args=[case.pk]), {**data, "reasons": "Old text"})
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    case.refresh_from_db()
    assert case.reasons == "Sharper reasons."


def test_proposing_a_second_sanction_shows_why_it_is_refused(client, supervisor, platform_a):
    sanctions.propose_sanction(platform=platform_a, level=1, actor=supervisor, reason="overdue",
        **BASIS)
    client.force_login(supervisor)
    response = client.post(reverse("admin:cases_sanction_add"), {"platform": platform_a.pk, "level": 2, "reason": "x"})
    assert response.status_code == 200
    assert "already has a sanction awaiting a decision" in response.content.decode()
    assert Sanction.objects.filter(platform=platform_a).count() == 1


def test_a_favicon_is_served_and_linked(client, analyst):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml" and b"<svg" in icon.content
    client.force_login(analyst)
    assert 'rel="icon" href="/favicon.ico"' in client.get("/admin/").content.decode()


@pytest.mark.parametrize("persona,site", [("auditor", "admin"), ("analyst", "admin"), ("liaison_a", "platform")])
def test_history_is_the_cases_timeline(client, request, persona, site, make_case, analyst):
    from cases.cases.services.cases import add_comment

    case = make_case(submit=True)
    add_comment(case, actor=analyst, text="internal only")
    client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/{site}/cases/case/{case.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Submitted to the platform" in page and "Draft → Submitted" in page
    assert ("internal only" in page) == (site == "admin")  # a liaison never sees internal notes


def _new_case_form(platform, url, **extra):
    return {"platform": platform.pk, "category": "hoax", "location_url": url, "legal_basis": "UU ITE Art. 28(1)",
            "reasons": "A fabricated claim.", "requested_action": "remove", "source": "ministry",
            "evidence_kind": "screenshot", "evidence_visibility": "shared", **extra}


def test_save_and_submit_creates_attaches_and_sends_in_one_post(client, analyst, platform_a):
    client.force_login(analyst)
    done = client.post("/admin/cases/case/add/", _new_case_form(
        platform_a, "https://t.me/one_post/1", _submit="1",
        evidence_file=SimpleUploadedFile("shot.png", PNG, content_type="image/png")), HTTP_ACCEPT_LANGUAGE="en")
    case = Case.objects.get(location_url="https://t.me/one_post/1")
    assert done.status_code == 302 and done["Location"] == f"/admin/cases/case/{case.pk}/change/"
    assert case.status == CaseStatus.SUBMITTED
    assert list(case.evidence.values_list("original_name", "visibility")) == [("shot.png", Visibility.SHARED)]
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.EVIDENCE_ADDED, EventKind.SUBMITTED]  # evidence before sending
    shown = client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{case.reference} was sent to Telegram" in shown


def test_refused_evidence_keeps_the_draft_and_sends_nothing(client, analyst, platform_a):
    client.force_login(analyst)
    done = client.post("/admin/cases/case/add/", _new_case_form(
        platform_a, "https://t.me/one_post/2", _submit="1",
        evidence_file=SimpleUploadedFile("shot.png", b"MZ not a picture", content_type="image/png")),
        HTTP_ACCEPT_LANGUAGE="en", follow=True)
    case = Case.objects.get(location_url="https://t.me/one_post/2")
    assert case.status == CaseStatus.DRAFT and not case.evidence.exists()
    text = done.content.decode()
    assert "The evidence was refused" in text and "has not been sent to Telegram" in text


def test_save_as_draft_says_it_was_not_sent(client, analyst, platform_a):
    client.force_login(analyst)
    done = client.post("/admin/cases/case/add/", _new_case_form(platform_a, "https://t.me/one_post/3", _save="1"),
                       HTTP_ACCEPT_LANGUAGE="en", follow=True)
    case = Case.objects.get(location_url="https://t.me/one_post/3")
    assert case.status == CaseStatus.DRAFT and "has not been sent to Telegram" in done.content.decode()


def test_the_duplicate_location_refusal_links_to_the_open_case(client, analyst, platform_a, make_case):
    existing = make_case(submit=True, url="https://t.me/dup/1")
    client.force_login(analyst)
    refused = client.post("/admin/cases/case/add/", _new_case_form(platform_a, "https://t.me/dup/1", _save="1"),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and Case.objects.count() == 1
    page = refused.content.decode()
    assert f'<a href="/admin/cases/case/{existing.pk}/change/">Open {existing.reference}</a>' in page


def test_the_liaison_sees_the_measured_value_of_a_measured_commitment(client, liaison_a, make_case, platform_a):
    meeting = Meeting.objects.create(title="Rapat", held_on="2026-08-01")
    meeting.platforms.set([platform_a])
    commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Hoaks dalam sehari",
                                           measured_category="hoax", target_hours=24)
    case = make_case(submit=True)
    transition(case, "report_action", actor=liaison_a, action_taken="removed",
               action_taken_at=clock.now().isoformat())
    client.force_login(liaison_a)
    page = client.get(f"/platform/cases/commitment/{commitment.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert "measured compliance (from the cases)" in text.lower()
    assert "30 1 1 1 100%" in text  # days, cases, decided, within target, share


@pytest.mark.parametrize("persona", ["analyst", "auditor", "supervisor"])
def test_people_are_named_as_text_not_links_to_user_records(client, request, persona, make_case):
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.get(username="analyst")
    officer.first_name, officer.last_name = "Siti", "Rahma"
    officer.save()
    assignee = request.getfixturevalue("supervisor")
    assignee.first_name, assignee.last_name = "Budi", "Santoso"
    assignee.save()
    case = make_case(submit=True, assigned_to=assignee)
    client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/admin/cases/case/{case.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/admin/auth/user/" not in page  # only administrators may open user records: no link that 403s
    assert "Siti Rahma (analyst)" in page
    assert "Budi Santoso (supervisor)" in page  # the assigned officer too


@pytest.mark.parametrize("persona,site", [("analyst", "admin"), ("auditor", "admin"), ("liaison_a", "platform")])
def test_the_filtered_case_list_exports_as_the_apis_csv(client, request, persona, site, make_case, platform_b,
                                                       liaison_a):
    from cases.api.export import HEADER

    objected = make_case(submit=True)
    transition(objected, "object", actor=liaison_a, reason="lawful", text="Satire.")
    make_case(submit=True)
    other = make_case(submit=True, platform=platform_b, url="https://facebook.com/x/1")
    client.force_login(request.getfixturevalue(persona))
    query = "status=objected" if site == "admin" else "awaiting=&amp;status=objected"
    listing = client.get(f"/{site}/cases/case/?{query.replace('&amp;', '&')}",
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/{site}/cases/case/export.csv?{query}"' in listing
    response = client.get(f"/{site}/cases/case/export.csv?{query.replace('&amp;', '&')}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[0].split(",") == HEADER
    assert [r.split(",")[0] for r in rows[1:]] == [objected.reference]  # the filter held; nothing of B's
    everything = b"".join(client.get(f"/{site}/cases/case/export.csv?awaiting=" if site == "platform"
                                     else f"/{site}/cases/case/export.csv").streaming_content).decode()
    assert (other.reference in everything) == (site == "admin")


@pytest.mark.parametrize("persona,site", [("analyst", "admin"), ("liaison_a", "platform")])
def test_commitments_are_listed_in_the_pages_language(client, request, persona, site, platform_a):
    meeting = Meeting.objects.create(title="Rapat", held_on="2026-08-01")
    meeting.platforms.set([platform_a])
    Commitment.objects.create(platform=platform_a, meeting=meeting, text="Hoaks diturunkan dalam sehari",
                              text_en="Hoaxes taken down within a day")
    client.force_login(request.getfixturevalue(persona))
    english = client.get(f"/{site}/cases/commitment/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    indonesian = client.get(f"/{site}/cases/commitment/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Hoaxes taken down within a day" in english and "Hoaks diturunkan" not in english
    assert "Hoaks diturunkan dalam sehari" in indonesian and "Hoaxes taken down" not in indonesian
