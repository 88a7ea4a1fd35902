"""Races on PostgreSQL, with real connections: threads for transitions, processes for the sweeper."""

import os
import subprocess
import sys
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from django.db import connection

from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import CaseStatus, Category, EventKind
from cases.models import Case, CaseEvent, Sanction, SanctionCase
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def test_acknowledge_and_withdraw_race_one_wins_every_time(make_case, liaison_a, supervisor):
    rounds = 40
    winners = {"acknowledged": 0, "withdrawn": 0}
    for i in range(rounds):
        case = make_case(submit=True, url=f"https://t.me/race/{i}")
        seen = case.version  # both people opened the case at the same moment
        results, errors = race(
            lambda c=case, v=seen: transition(c, "acknowledge", actor=liaison_a, expected_version=v),
            lambda c=case, v=seen: transition(c, "withdraw", actor=supervisor, note="race", expected_version=v),
        )
        assert len(results) == 1 and len(errors) == 1, f"round {i}: {results} {errors}"
        assert errors[0].code in ("state", "stale")
        assert case.reference in errors[0].message
        final = Case.objects.get(pk=case.pk)
        winners[final.status] += 1
        kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
        assert kinds[:2] == [EventKind.CREATED, EventKind.SUBMITTED]
        assert len(kinds) == 3  # exactly one winner's event
    assert sum(winners.values()) == rounds


def test_two_sweeper_processes_produce_one_event_one_proposal_one_email_per_case(
    make_case, supervisor, tmp_path
):
    cases = [make_case(category=Category.TERRORISM, submit=True, url=f"https://t.me/sweep/{i}") for i in range(30)]
    # Move every deadline into the past (the cases were submitted "5 hours ago").
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(due_at=clock.now() - timedelta(hours=1))
    # Notices of submission are not what this test counts.
    from cases.models import Notification

    Notification.objects.update(sent_at=clock.now())
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_EMAIL_FILE_PATH": str(tmp_path),
    }
    cmd = [sys.executable, "manage.py", "sweep_deadlines"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    for case in cases:
        assert CaseEvent.objects.filter(case=case, kind=EventKind.OVERDUE).count() == 1
        assert SanctionCase.objects.filter(case=case).count() == 1
        assert Case.objects.get(pk=case.pk).overdue_at is not None
    assert Sanction.objects.count() == 1  # one pending proposal for the platform, citing all 30
    messages = []
    for path in tmp_path.iterdir():
        raw = path.read_bytes()
        messages += [message_from_bytes(chunk.strip()) for chunk in raw.split(b"-" * 79) if chunk.strip()]
    overdue = sorted(m["Subject"] for m in messages if m["Subject"].startswith("Overdue"))
    assert len(overdue) == len(cases)
    assert len(set(overdue)) == len(cases)  # one per case, none twice
    marked = sum(int(out.decode().split(" newly overdue")[0].rsplit("\n", 1)[-1]) for out, _ in outputs)
    assert marked == len(cases)  # the two processes shared the work, neither repeated it


def test_the_status_never_changes_outside_the_service(make_case):
    # A guard for the rule "nothing else writes status": the field is not editable in forms.
    assert Case._meta.get_field("status").editable is False
    assert make_case().status == CaseStatus.DRAFT
