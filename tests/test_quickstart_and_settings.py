"""The newcomer's path: settings from the environment, `quickstart`, and the demo drawn from the seeds."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import override_settings

from cases.core import roles
from cases.core.choices import AWAITING_ACTION_STATUSES, CaseStatus, Category, EventKind
from cases.models import Case, CaseEvent, Commitment, Meeting, Platform, PlatformMembership, Sanction

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


def _run_django(env_overrides: dict, code: str = "import django; django.setup(); print('ready')"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PATUH_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", **env_overrides})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.slow
def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _run_django({})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "DJANGO_SECRET_KEY is not set: set DJANGO_SECRET_KEY to a long random value "
        "(or DJANGO_DEBUG=1 for local development)."
    )  # one sentence, no traceback


@pytest.mark.slow
def test_production_settings_start_with_a_secret_key_and_debug_off():
    result = _run_django({"DJANGO_SECRET_KEY": "x" * 50},
                         "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_debug_mode_runs_without_a_key_on_sqlite_under_var():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'], settings.TIME_ZONE)")
    result = _run_django({"DJANGO_DEBUG": "1"}, code)
    assert result.returncode == 0, result.stderr
    engine, name, tz = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("var/patuh.sqlite3")
    assert tz == "Asia/Jakarta"


@pytest.mark.slow
def test_database_url_selects_postgresql():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default'])"
    result = _run_django({"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://u@db.example:5433/patuh"}, code)
    assert "postgresql" in result.stdout and "'db.example'" in result.stdout and "5433" in result.stdout


@pytest.mark.django_db
def test_quickstart_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("quickstart", "--no-serve")
    assert not Platform.objects.exists()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_quickstart_is_idempotent():
    def snapshot():
        return {m.__name__: m.objects.count() for m in (Platform, Case, CaseEvent, Commitment, Meeting, Sanction,
                                                         PlatformMembership)}

    call_command("quickstart", "--no-serve", "--cases", "40", stdout=open(os.devnull, "w"))  # noqa: SIM115
    first = snapshot()
    assert first["Case"] == 46  # 40 recent + Telegram's six
    call_command("quickstart", "--no-serve", "--cases", "40", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert snapshot() == first


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_quickstart_prints_every_demo_login(capsys):
    call_command("quickstart", "--no-serve", "--cases", "5")
    out = capsys.readouterr().out
    for username in ("analyst", "supervisor", "admin", "auditor", "telegram", "facebook"):
        assert re.search(rf"^\s+{username}\s", out, re.M), username
    assert "patuh-demo-2026" in out


def _seed_004_commitments() -> dict[str, list[str]]:
    """Parse seed 004: a platform name on its own line, then numbered commitments."""
    text = next(SEEDS.glob("004_*.txt")).read_text(encoding="utf-8")
    out, current = {}, None
    for line in (raw.strip() for raw in text.splitlines()):
        if line in ("Telegram", "Facebook", "Google", "Twitter"):
            current = line.lower()
            out[current] = []
        elif current and (m := re.match(r"^\d+\.\s+(.*)$", line)):
            out[current].append(m.group(1).strip())
    return out


@pytest.mark.django_db
class TestTheDemoAsLoaded:
    """The tests that only read the demo share one load of it (tests/conftest.py, `demo_database`)."""

    @pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
    def test_the_demo_holds_every_commitment_from_seed_004(self, demo_database):
        _the_demo_holds_every_commitment_from_seed_004()

    def test_the_demo_covers_every_category_status_and_platform_with_consistent_timelines(self, demo_database):
        _the_demo_covers_every_category_status_and_platform_with_consistent_timelines(demo_database)


def _the_demo_holds_every_commitment_from_seed_004():
    expected = _seed_004_commitments()
    assert sum(len(v) for v in expected.values()) == 11
    for slug, texts in expected.items():
        stored = list(Commitment.objects.filter(platform__slug=slug).order_by("id").values_list("text", flat=True))
        assert stored == texts, slug
        assert Meeting.objects.filter(platforms__slug=slug, held_on__year=2017, held_on__month=8).exists()
    assert not Commitment.objects.filter(text_en="").exists()  # every one has its English too


def _the_demo_covers_every_category_status_and_platform_with_consistent_timelines(summary):
    assert summary.cases_created >= 300
    by = lambda field: set(Case.objects.values_list(field, flat=True))  # noqa: E731
    assert by("category") == set(Category.values)
    assert by("status") == set(CaseStatus.values)
    assert by("platform__slug") == {"telegram", "facebook", "google", "twitter", "tiktok"}
    assert Case.objects.filter(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=False).exists()
    assert Case.objects.filter(is_late=True).exists()
    assert Case.objects.filter(status=CaseStatus.OBJECTED).exists()
    # Every case's timeline implies its status: the last status-changing event ends where the case is.
    status_events = CaseEvent.objects.exclude(to_status="").order_by("case_id", "created_at", "id")
    last = {}
    for case_id, to_status in status_events.values_list("case_id", "to_status"):
        last[case_id] = to_status
    for case_id, status in Case.objects.values_list("id", "status"):
        assert last[case_id] == status
    # Overdue facts come with their event, exactly once per deadline.
    overdue_cases = Case.objects.filter(overdue_at__isnull=False).count()
    assert CaseEvent.objects.filter(kind=EventKind.OVERDUE).values("case").distinct().count() >= overdue_cases
    # Telegram's history: six unanswered requests, then the 14 July 2017 block, lifted after the meetings.
    history = Case.objects.filter(platform__slug="telegram", submitted_at__year__in=[2016, 2017])
    assert history.count() == 6
    assert all(c.is_late and c.status == CaseStatus.VERIFIED for c in history)
    block = Sanction.objects.get(platform__slug="telegram", level=5)
    assert block.issued_at.date().isoformat() == "2017-07-14" and block.status == "lifted"
    # Both demo liaisons are bound to their platform and carry the liaison role.
    for slug in ("telegram", "facebook"):
        m = PlatformMembership.objects.get(user__username=slug)
        assert m.platform.slug == slug and roles.LIAISON in roles.roles_of(m.user)
    # Most cases are closed, as in a working system.
    closed = Case.objects.filter(status__in=[CaseStatus.VERIFIED, CaseStatus.WITHDRAWN]).count()
    assert closed / Case.objects.count() > 0.5
    assert Case.objects.values("platform").annotate(n=Count("id")).count() == 5


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_quickstart_says_how_to_pick_another_port_when_its_port_is_busy():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match="already in use.*--addrport"):
            call_command("quickstart", "--addrport", f"127.0.0.1:{port}")
    assert not Platform.objects.exists()  # refused before loading anything


@pytest.mark.slow
def test_make_run_serves_with_a_worker_and_a_sweeper_and_stops_them_together(tmp_path):
    """`make run` (quickstart): the server, one worker and the deadline sweeper start together, and SIGTERM (or
    Ctrl-C) stops all three."""
    import signal
    import socket
    import time
    import urllib.request

    from django.conf import settings

    def session(sid: int) -> dict[int, str]:
        """The processes of session `sid` (quickstart and its children) and their command lines."""
        found = {}
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == sid:
                    found[int(entry.name)] = (entry / "cmdline").read_text().replace("\0", " ")
            except (OSError, IndexError, ValueError):
                continue
        return found

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_DEBUG": "1", "PATUH_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "portal.settings"}
    env.pop("DATABASE_URL", None)
    manage = str(settings.BASE_DIR / "manage.py")
    process = subprocess.Popen([sys.executable, manage, "quickstart", "--addrport", f"127.0.0.1:{port}", "--cases", "5",
                                "--sweep-every", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as answer:  # noqa: S310
                    assert answer.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.5)
        commands = list(session(process.pid).values())
        assert any(" runserver " in c for c in commands) and any(c.rstrip().endswith(" worker") for c in commands)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert "Demo logins" in output and "deadline sweeper" in output
        time.sleep(0.5)
        left = session(process.pid)
        assert left == {}, f"still running after quickstart stopped: {left}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
