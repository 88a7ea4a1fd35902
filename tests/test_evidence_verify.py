"""`manage.py verify_evidence`: re-hash stored files, record every verification, fail loudly on damage."""

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from cases.core.choices import CustodyKind
from cases.evidence.services import evidence as evidence_service
from tests.test_evidence_support import (
    PNG,
    evidence_dir,
    png_variant,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)


def verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_evidence", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_cases(make_case, analyst):
    """Case A holds a file and a duplicate of case B's file; case B holds the first copy."""
    case_a, case_b = make_case(), make_case()
    own = upload(case_a, analyst, name="a.png", data=png_variant(b"a"))
    first = upload(case_b, analyst, name="b.png", data=png_variant(b"b"))
    copy = upload(case_a, analyst, name="b-again.png", data=png_variant(b"b"))
    return case_a, case_b, own, first, copy


def kinds(evidence) -> list[str]:
    return list(evidence.custody_events.values_list("kind", flat=True))


def test_it_verifies_every_item_and_hashes_each_stored_file_once(two_cases, monkeypatch):
    _a, _b, own, first, copy = two_cases
    hashed = []
    real = evidence_service.hash_stored_file
    monkeypatch.setattr(evidence_service, "hash_stored_file",
                        lambda name, **kw: hashed.append(name) or real(name, **kw))

    out = verify()

    assert "Checked 2 stored files for 3 evidence items: 3 intact, 0 altered, 0 missing." in out
    assert sorted(hashed) == sorted([own.file.name, first.file.name])
    assert kinds(own) == [CustodyKind.UPLOADED, CustodyKind.VERIFIED]
    assert kinds(first) == [CustodyKind.UPLOADED, CustodyKind.VERIFIED]
    assert kinds(copy) == [CustodyKind.LINKED, CustodyKind.VERIFIED]
    assert copy.custody_events.last().actor is None


def test_it_exits_non_zero_naming_the_cases_of_a_tampered_and_a_missing_file(two_cases):
    case_a, case_b, own, first, copy = two_cases
    (evidence_dir() / first.file.name).write_bytes(PNG + b"altered")
    (evidence_dir() / own.file.name).unlink()
    out = io.StringIO()

    with pytest.raises(CommandError) as exc:
        call_command("verify_evidence", stdout=out)

    assert exc.value.returncode == 1
    assert case_a.reference in str(exc.value) and case_b.reference in str(exc.value)
    report = out.getvalue()
    assert f"MISSING   {case_a.reference}  evidence {own.pk}" in report
    assert f"MISMATCH  {case_b.reference}  evidence {first.pk}" in report
    assert f"MISMATCH  {case_a.reference}  evidence {copy.pk}" in report  # the copy shares the altered file
    assert kinds(own)[-1] == CustodyKind.MISSING
    assert kinds(first)[-1] == CustodyKind.MISMATCH
    assert kinds(copy)[-1] == CustodyKind.MISMATCH


def test_it_limits_verification_to_one_case(make_case, analyst):
    case_a, case_b = make_case(), make_case()
    damaged = upload(case_a, analyst, name="a.png", data=png_variant(b"a"))
    intact = upload(case_b, analyst, name="b.png", data=png_variant(b"b"))
    (evidence_dir() / damaged.file.name).write_bytes(b"altered")

    assert "1 intact" in verify("--case", case_b.reference)
    assert kinds(intact)[-1] == CustodyKind.VERIFIED
    assert kinds(damaged) == [CustodyKind.UPLOADED]  # not looked at

    with pytest.raises(CommandError, match=case_a.reference):
        verify("--case", case_a.reference)
    assert kinds(damaged)[-1] == CustodyKind.MISMATCH
    assert kinds(intact) == [CustodyKind.UPLOADED, CustodyKind.VERIFIED]


def test_it_refuses_an_unknown_case_reference(db):
    with pytest.raises(CommandError, match="No case with the reference PTH-1999-000001"):
        verify("--case", "PTH-1999-000001")


def test_it_succeeds_with_nothing_to_verify(db):
    assert "Checked 0 stored files for 0 evidence items" in verify()


SEED_A_DAMAGED_STORE = """
import os
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from cases.models import Platform
from cases.cases.services.cases import create_case
from tests.conftest import make_user
from tests.test_evidence_support import upload
analyst = make_user("analyst", "analyst")
platform = Platform.objects.create(name="Telegram", slug="telegram", hosts="t.me")
case = create_case(actor=analyst, platform=platform, category="hoax", location_url="https://t.me/x/1",
                   legal_basis="UU ITE Art. 28(1)", reasons="Fabricated claim.")
evidence = upload(case, analyst)
with open(os.path.join(os.environ["PATUH_EVIDENCE_ROOT"], evidence.file.name), "ab") as stored:
    stored.write(b"tampered")
print(case.reference)
"""


@pytest.mark.slow
def test_it_exits_1_from_the_command_line(tmp_path):
    """The exit status is what cron sees: run the real command in a fresh process on a damaged store."""
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "PATUH_EVIDENCE_ROOT": str(tmp_path / "evidence"),
        "PATUH_VAR_DIR": str(tmp_path),
    }
    seeded = subprocess.run([sys.executable, "-c", SEED_A_DAMAGED_STORE], env=env, check=True, cwd=_repo(),
                            capture_output=True, text=True)
    reference = seeded.stdout.strip()

    result = subprocess.run([sys.executable, "manage.py", "verify_evidence"], env=env, cwd=_repo(),
                            capture_output=True, text=True)

    assert result.returncode == 1
    assert f"MISMATCH  {reference}" in result.stdout
    assert "failed verification" in result.stderr


def _repo() -> str:
    from django.conf import settings

    return str(settings.BASE_DIR)
