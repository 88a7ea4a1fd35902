"""Re-checks against a local server that plays the platforms (issue 17).

Every interpreter's fixtures (gone, restricted, live, unknown) and what the network can do (slow, trickling,
huge, redirect loops, a redirect to a metadata address): each verdict is right, each result is stored as
evidence with its SHA-256 and chain of custody, each event is in the hash chain, and `verify_evidence` and
`verify_audit` pass afterwards.
"""

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from warcio.archiveiterator import ArchiveIterator

from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import CaseStatus, CustodyKind, EventKind, Visibility
from cases.evidence.rechecks import interpreters
from cases.evidence.services import rechecks
from cases.evidence.services.evidence import hash_stored_file
from cases.models import CaseEvent, Evidence, Platform, Recheck, RecheckStatus
from tests.recheck_fixtures import CASES, served_path
from tests.recheck_server import FixtureServer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PLATFORM_NAMES = {"telegram": "Telegram", "facebook": "Facebook", "x": "X", "youtube": "YouTube",
                  "tiktok": "TikTok", "other": "Situs lain"}


@pytest.fixture(scope="module")
def server():
    with FixtureServer() as s:
        yield s


def recheck_settings(settings, server, **changes):
    settings.PATUH_FETCH_ALLOW_HOSTS = ["127.0.0.1"]
    settings.PATUH_RECHECKS = {
        **settings.PATUH_RECHECKS, "CONNECT_TIMEOUT": 1, "READ_TIMEOUT": 1, "MAX_BODY_BYTES": 256 * 1024,
        "X_OEMBED": server.url("/oembed"), "HOST_RATE": 200, "JITTER": 0,
        "VANTAGES": [{"name": "direct", "proxy": "", "country": "ID"}], **changes,
    }


@pytest.fixture
def env(settings, server, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    recheck_settings(settings, server)
    return settings


@pytest.fixture
def platforms(platform_a, platform_b):
    out = {"telegram": platform_a, "facebook": platform_b}
    for slug in ("x", "youtube", "tiktok", "other"):
        out[slug] = Platform.objects.create(name=PLATFORM_NAMES[slug], slug=slug)
    return out


def reported_removed(make_case, platform, url, liaison=None, action="removed"):
    """A case on `platform` submitted, and the platform's report that it acted."""
    from tests.conftest import make_user

    case = make_case(submit=True, platform=platform, url=url)
    liaison = liaison or make_user(f"liaison_{platform.slug}_{case.pk}", "liaison", platform=platform)
    return transition(case, "report_action", actor=liaison, action_taken=action,
                      action_taken_at=clock.now().isoformat())


def serve(server, spec, url: str, platform_slug: str) -> None:
    interpreter = interpreters.for_location(url, platform_slug)
    server.routes[served_path(interpreter.fetch_url(url))] = spec.route
    for path, route in spec.extra.items():
        server.routes[path] = route


def warc_records(evidence: Evidence) -> list:
    with evidence.file.open("rb") as handle:
        data = handle.read()
    return [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(io.BytesIO(data))]


@pytest.mark.parametrize("spec", CASES, ids=[c.id for c in CASES])
def test_it_gives_each_fixture_its_verdict_and_keeps_it_as_evidence(env, server, platforms, make_case, analyst,
                                                                     spec):
    url = server.url(spec.path)
    serve(server, spec, url, spec.platform)
    case = reported_removed(make_case, platforms[spec.platform], url)
    hits = len(server.hits)

    rechecks.request_recheck(case, actor=analyst)
    assert rechecks.run_due(time_budget=20) == 1

    recheck = Recheck.objects.get(case=case)
    assert (recheck.status, recheck.verdict) == (RecheckStatus.DONE, spec.verdict), recheck.finding
    assert recheck.finding
    # The request named Patuh and the ministry's contact.
    sent = server.hits[hits:]
    if sent:
        assert "Patuh/1" in sent[0].user_agent and "aduankonten@komdigi.go.id" in sent[0].user_agent
    # Evidence: a WARC whose stored bytes match the recorded SHA-256, with its chain of custody.
    evidence = recheck.evidence
    assert evidence.content_type == "application/gzip" and evidence.original_name.endswith(".warc.gz")
    sha256, size, _handle = hash_stored_file(evidence.file.name)
    assert (sha256, size) == (evidence.sha256, evidence.size)
    assert evidence.custody_events.filter(kind=CustodyKind.UPLOADED).exists()
    records = warc_records(evidence)
    types = [r[0] for r in records]
    assert types[0] == "warcinfo" and types[-1] == "metadata" and "request" in types
    metadata = json.loads(records[-1][3])
    assert metadata["verdict"] == spec.verdict and metadata["case"] == case.reference
    # One event on the timeline, with the verdict word, the evidence and its hash.
    event = CaseEvent.objects.get(case=case, kind=EventKind.RECHECKED)
    assert event == recheck.event and event.visibility == Visibility.SHARED
    assert event.data["verdict"] == spec.verdict
    assert (event.data["evidence_id"], event.data["sha256"]) == (evidence.pk, evidence.sha256)
    assert spec.verdict in event.note.lower()


def test_a_huge_answer_is_cut_at_the_cap_and_says_so(env, server, platforms, make_case, analyst):
    spec = next(c for c in CASES if c.path == "/huge")
    url = server.url("/huge")
    serve(server, spec, url, "other")
    case = reported_removed(make_case, platforms["other"], url)
    rechecks.request_recheck(case, actor=analyst)
    rechecks.run_due(time_budget=20)
    recheck = Recheck.objects.get(case=case)
    response = next(r for r in warc_records(recheck.evidence) if r[0] == "response")
    assert response[1].get_header("WARC-Truncated") == "length"
    assert len(response[3]) == 256 * 1024
    assert recheck.evidence.size < 300 * 1024  # gzip; nothing near the 20 MB the server offered


def test_a_redirect_to_a_metadata_address_is_refused_by_the_guard(env, server, platforms, make_case, analyst):
    spec = next(c for c in CASES if c.path == "/to-metadata")
    url = server.url("/to-metadata")
    serve(server, spec, url, "other")
    case = reported_removed(make_case, platforms["other"], url)
    rechecks.request_recheck(case, actor=analyst)
    rechecks.run_due(time_budget=20)
    recheck = Recheck.objects.get(case=case)
    assert recheck.verdict == "unknown" and "169.254.169.254" in recheck.finding


def test_verify_evidence_and_verify_audit_pass_after_many_rechecks(env, server, platforms, make_case, analyst,
                                                                    capsys):
    for spec in CASES[:12]:
        url = server.url(spec.path)
        serve(server, spec, url, spec.platform)
        case = reported_removed(make_case, platforms[spec.platform], url)
        rechecks.request_recheck(case, actor=analyst)
    assert rechecks.run_due(time_budget=30) == 12
    call_command("verify_evidence")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "case events" in out


def test_the_bodies_of_csam_pages_are_never_kept(env, server, platforms, make_case, analyst):
    from cases.core.choices import Category

    server.routes["/csam"] = next(c for c in CASES if c.path == "/page").route
    url = server.url("/csam")
    case = make_case(submit=True, platform=platforms["other"], url=url, category=Category.CSAM)
    rechecks.request_recheck(case, actor=analyst)
    rechecks.run_due(time_budget=10)
    recheck = Recheck.objects.get(case=case)
    records = warc_records(recheck.evidence)
    response = next(r for r in records if r[0] == "response")
    assert response[3] == b""
    metadata = json.loads(records[-1][3])
    assert metadata["body_kept"] is False
    assert metadata["hops"][0]["body_sha256"] == hashlib.sha256(server.routes["/csam"].body).hexdigest()


# --- scheduling ---------------------------------------------------------------------------------------------


def test_an_action_report_plans_rechecks_at_1h_24h_and_7_days_from_each_vantage(env, server, platforms, make_case,
                                                                                settings):
    recheck_settings(settings, server, VANTAGES=[{"name": "jakarta", "proxy": "", "country": "ID"},
                                                  {"name": "singapore", "proxy": "", "country": "SG"}])
    case = reported_removed(make_case, platforms["other"], server.url("/page"))
    report = rechecks.plan()
    assert report.planned == 6
    rows = Recheck.objects.filter(case=case).order_by("due_at", "vantage")
    assert sorted({r.slot for r in rows}) == ["+1h", "+24h", "+7d"]
    assert {r.vantage for r in rows} == {"jakarta", "singapore"}
    first = rows.first()
    assert first.due_at == case.actioned_at + timedelta(hours=1)
    assert rechecks.plan().planned == 0  # planned once
    # Nothing is due yet; at +1 h the two +1h re-checks are.
    assert rechecks.claim() == []
    with clock.frozen(case.actioned_at + timedelta(hours=1, seconds=1)):
        assert {r.slot for r in rechecks.claim()} == {"+1h"}


def test_the_schedule_is_configurable_per_category(env, server, platforms, make_case, settings):
    from cases.core.choices import Category

    recheck_settings(settings, server, SCHEDULE={"default": [3600], Category.TERRORISM: [600, 3600, 86400]})
    terror = make_case(submit=True, platform=platforms["other"], url=server.url("/t1"), category=Category.TERRORISM)
    hoax = make_case(submit=True, platform=platforms["other"], url=server.url("/h1"))
    for case in (terror, hoax):
        transition(case, "report_action", actor=_liaison(platforms["other"]), action_taken="removed",
                   action_taken_at=clock.now().isoformat())
    rechecks.plan()
    assert sorted(Recheck.objects.filter(case=terror).values_list("slot", flat=True)) == ["+10m", "+1h", "+24h"]
    assert list(Recheck.objects.filter(case=hoax).values_list("slot", flat=True)) == ["+1h"]


def _liaison(platform):
    from tests.conftest import make_user

    return make_user(f"liaison_{platform.slug}_{Recheck.objects.count()}_{clock.now().timestamp()}", "liaison",
                     platform=platform)


def test_a_location_is_rechecked_just_before_its_deadline(env, server, platforms, make_case):
    server.routes["/due"] = next(c for c in CASES if c.path == "/page").route
    case = make_case(submit=True, platform=platforms["other"], url=server.url("/due"))
    assert rechecks.plan().planned == 0  # 24 h left
    with clock.frozen(case.due_at - timedelta(minutes=20)):
        assert rechecks.plan().planned == 1
        assert rechecks.run_due(time_budget=10) == 1
    recheck = Recheck.objects.get(case=case)
    assert recheck.reason == "pre_deadline" and recheck.verdict == "live"
    assert not recheck.contradicts  # no action reported: nothing to contradict


def test_reopening_cancels_the_old_cycles_rechecks(env, server, platforms, make_case, analyst):
    case = reported_removed(make_case, platforms["other"], server.url("/page"))
    rechecks.plan()
    transition(case, "reopen", actor=analyst, note="Still up.")
    rechecks.plan()
    assert set(Recheck.objects.filter(case=case).values_list("status", flat=True)) == {RecheckStatus.CANCELLED}


def test_the_sweeper_plans_and_queues_rechecks(env, server, platforms, make_case, django_capture_on_commit_callbacks):
    from cases.cases.services.sweeper import sweep

    server.routes["/swept"] = next(c for c in CASES if c.path == "/page").route
    case = reported_removed(make_case, platforms["other"], server.url("/swept"))
    with clock.frozen(case.actioned_at + timedelta(hours=1, minutes=10)), \
            django_capture_on_commit_callbacks(execute=True):
        report = sweep()
    assert report.rechecks.planned == 3
    done = Recheck.objects.get(case=case, slot="+1h")
    assert done.status == RecheckStatus.DONE and done.verdict == "live"


def test_the_command_rechecks_one_case_and_runs_what_is_due(env, server, platforms, make_case, capsys):
    server.routes["/cmd"] = next(c for c in CASES if c.path == "/missing").route
    case = reported_removed(make_case, platforms["other"], server.url("/cmd"))
    call_command("recheck_locations", "--case", case.reference)
    out = capsys.readouterr().out
    assert case.reference in out and "gone" in out
    with clock.frozen(case.actioned_at + timedelta(hours=2)):
        call_command("recheck_locations")
    out = capsys.readouterr().out
    assert "planned 3" in out and "ran 1 re-check(s): 1 gone" in out
    assert Recheck.objects.filter(case=case, status=RecheckStatus.DONE).count() == 2


def test_the_command_says_what_is_wrong_with_a_bad_reference(env, capsys):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="PTH-1999-999999"):
        call_command("recheck_locations", "--case", "PTH-1999-999999")


def test_a_draft_or_unfetchable_case_is_refused_with_a_sentence(env, make_case, analyst, auditor, platform_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    case = make_case(submit=True, platform=platform_a, url="http://10.0.0.5/admin")
    with pytest.raises(ValidationError, match="will not fetch"):
        rechecks.request_recheck(case, actor=analyst)
    with pytest.raises(PermissionDenied):
        rechecks.request_recheck(case, actor=auditor)
    assert not Recheck.objects.exists()


def test_a_second_request_while_one_waits_is_refused(env, server, platforms, make_case, analyst):
    from django.core.exceptions import ValidationError

    case = reported_removed(make_case, platforms["other"], server.url("/page"))
    rechecks.request_recheck(case, actor=analyst)
    with pytest.raises(ValidationError, match="already waiting"):
        rechecks.request_recheck(case, actor=analyst)


def test_status_of_a_withdrawn_case_is_not_rechecked(env, server, platforms, make_case, supervisor):
    case = reported_removed(make_case, platforms["other"], server.url("/page"))
    rechecks.plan()
    transition(case, "withdraw", actor=supervisor, note="Withdrawn.")
    rechecks.plan()
    assert not Recheck.objects.filter(case=case, status=RecheckStatus.PENDING).exists()
    assert case.status == CaseStatus.WITHDRAWN


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after each job, as in production
def test_the_database_queue_runs_them_once_however_often_the_sweeper_asks(env, server, platforms, make_case,
                                                                          settings):
    """The production path: the sweeper plans and queues jobs in the database; `manage.py worker` runs them."""
    from django_tasks_db.models import DBTaskResult

    from cases.cases.services.sweeper import sweep

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "webhooks"]}}
    server.routes["/queued"] = next(c for c in CASES if c.path == "/page").route
    case = reported_removed(make_case, platforms["other"], server.url("/queued"))
    with clock.frozen(case.actioned_at + timedelta(hours=1, minutes=5)):
        sweep(deliver=False)
        sweep(deliver=False)  # a second sweep queues no second job while the first waits
        assert DBTaskResult.objects.filter(task_path="cases.evidence.rechecks.tasks.run_rechecks").count() == 1
        call_command("worker", "--batch", "--no-startup-delay", "-v", "0")
    done = Recheck.objects.get(case=case, slot="+1h")
    assert done.status == RecheckStatus.DONE and done.verdict == "live"
    assert Recheck.objects.filter(case=case, status=RecheckStatus.PENDING).count() == 2  # +24h and +7d wait


def test_a_handle_is_rechecked_at_its_public_page_where_patuh_knows_one(env, platforms, make_case, analyst):
    from cases.cases.services.cases import create_case

    def handle_case(platform, handle):
        case = create_case(actor=analyst, platform=platform, category="hoax", handle=handle, legal_basis="UU ITE",
                           reasons="Hoax.", submit=True)
        return transition(case, "report_action", actor=_liaison(platform), action_taken="account_suspended",
                          action_taken_at=clock.now().isoformat())

    telegram = handle_case(platforms["telegram"], "@hoax_channel")
    elsewhere = handle_case(platforms["other"], "@somebody")
    rechecks.plan()
    assert set(Recheck.objects.filter(case=telegram).values_list("url", flat=True)) == {"https://t.me/hoax_channel"}
    assert not Recheck.objects.filter(case=elsewhere).exists()  # no public page Patuh knows for that platform


# --- review r16: a hostile host's answer, and a failure after the evidence was stored -----------------------------


@pytest.mark.parametrize("retry_after", ["\u00b9", "9" * 5000])
def test_a_429_with_a_retry_after_that_is_no_number_is_still_recorded(env, server, platforms, make_case, analyst,
                                                                     retry_after):
    """'¹' passes str.isdigit() and 5,000 digits pass it too, but int() refuses both: the re-check failed after its
    evidence was stored, was put back for five minutes, and never got a result."""
    from tests.recheck_server import Route

    server.routes["/429"] = Route(429, b"slow down", headers={"Retry-After": retry_after})
    case = reported_removed(make_case, platforms["other"], server.url("/429"))
    rechecks.request_recheck(case, actor=analyst)
    rechecks.run_due(time_budget=20)
    recheck = Recheck.objects.get(case=case)
    assert (recheck.status, recheck.verdict) == (RecheckStatus.DONE, "unknown")
    assert recheck.evidence is not None


def test_a_failure_after_the_evidence_was_stored_leaves_no_file_behind(env, server, platforms, make_case, analyst,
                                                                        monkeypatch):
    from tests.recheck_server import Route

    server.routes["/fails-late"] = Route(200, b"<html>a page of its own</html>")
    case = reported_removed(make_case, platforms["other"], server.url("/fails-late"))
    rechecks.request_recheck(case, actor=analyst)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rechecks, "_host_outcome", broken)
    rechecks.run_due(time_budget=20, limit=1)
    recheck = Recheck.objects.get(case=case)
    assert recheck.status == RecheckStatus.PENDING and recheck.evidence is None  # put back, to run again
    assert not Evidence.objects.filter(case=case).exists()
    stored = [p for p in env.EVIDENCE_ROOT.rglob("*") if p.is_file()] if env.EVIDENCE_ROOT.exists() else []
    assert stored == []


@pytest.mark.parametrize("location", ["http://[::1", "//[zz]/x", "http://\u2100.com/"])
def test_a_redirect_to_a_malformed_location_is_recorded_as_unknown(env, server, platforms, make_case, analyst,
                                                                  location):
    """urljoin raised ValueError for these: the re-check failed before it was recorded, every five minutes."""
    from tests.recheck_server import Route

    server.routes["/bad-redirect"] = Route(302, b"", headers={"Location": location})
    case = reported_removed(make_case, platforms["other"], server.url("/bad-redirect"))
    rechecks.request_recheck(case, actor=analyst)
    rechecks.run_due(time_budget=20)
    recheck = Recheck.objects.get(case=case)
    assert (recheck.status, recheck.verdict) == (RecheckStatus.DONE, "unknown"), recheck.finding
