"""Official letters (issue 15): the PDF of every takedown order and issued sanction, numbered per type and year
without gaps, templates refused on save when they do not render, evidence-grade storage and downloads."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from pypdf import PdfReader

from cases.choices import Category, EventKind
from cases.models import CaseEvent, Letter

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def letters_on(settings, tmp_path):
    settings.PATUH = {**settings.PATUH, "LETTERS": True}
    settings.EVIDENCE_ROOT = tmp_path / "private"


@pytest.fixture
def traveller():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def text_of(letter: Letter) -> str:
    with letter.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_submitted_case_gets_its_order_letter(traveller, make_case, platform_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the job runs after the commit
        case = make_case(submit=True, category=Category.TERRORISM, url="https://t.me/propaganda_channel/5",
                         legal_basis="UU ITE Pasal 40 ayat (2b)")
    letter = Letter.objects.get(case=case)
    assert letter.number == "PT/TELEGRAM/2026/001" and letter.sha256 and letter.language == "id"
    text = text_of(letter)
    for expected in (letter.number, case.reference, "UU ITE Pasal 40 ayat (2b)", "t.me/propaganda_channel/5",
                     "Permintaan Pemutusan Akses", "Upaya keberatan"):
        assert expected in text or expected in text.replace("\n", ""), (expected, text)
    event = CaseEvent.objects.get(case=case, kind=EventKind.LETTER_ISSUED)
    assert event.data["sha256"] == letter.sha256 and event.data["number"] == letter.number
