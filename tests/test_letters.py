"""Official letters (issue 15): the PDF of every takedown order and issued sanction, numbered per type and year
without gaps, templates refused on save when they do not render, evidence-grade storage and downloads."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader

from cases.core import audit
from cases.core.choices import Category, EventKind, SanctionLevel
from cases.models import CaseEvent, Letter, LetterSeries, LetterTemplate, SanctionEvent
from cases.sanctions.services import letters, sanctions
from tests.test_api_support import bearer_client

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


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run what is queued for after the commit (the letter jobs), as a worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def issued_fine(make_case, traveller, supervisor, platform_a, run_jobs):
    from decimal import Decimal

    from cases.models import FineFactorValue, FinePolicy, PlatformMembership

    platform_a.legal_name, platform_a.address = "Telegram Messenger Inc.", "Dubai Media City, Building 1, Dubai"
    platform_a.contact_email = "abuse@telegram.example"
    platform_a.save()
    PlatformMembership.objects.filter(platform=platform_a).update(is_contact=True)
    supervisor.first_name, supervisor.last_name = "Dewi", "Kartika"
    supervisor.save()

    policy = FinePolicy.objects.create(name="Decree", effective_from=T0.date(), points_cap=500,
                                       tariff_per_point=Decimal("1000000"))
    FineFactorValue.objects.create(policy=policy, factor="content", key="terrorism", value=Decimal("0.48"))
    with run_jobs():
        case = make_case(submit=True, category=Category.TERRORISM, url="https://t.me/teror_channel/77",
                         legal_basis="UU ITE Pasal 40 ayat (2b)")
    traveller.shift(timedelta(hours=30))
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(overdue_at=case.due_at)
    case.refresh_from_db()
    with run_jobs():
        fine = sanctions.propose_sanction(platform=platform_a, level=SanctionLevel.FINE, actor=supervisor,
                                          reason="Terror propaganda left up for a day.", cases=[case.reference],
                                          skip_reason="Terror content: straight to a fine.")
        fine = sanctions.issue_sanction(fine, actor=supervisor, letter_reference="", virality="low")
    return fine, case


def test_an_issued_fine_gets_its_letter_in_each_language(traveller, make_case, supervisor, platform_a, run_jobs):
    fine, case = issued_fine(make_case, traveller, supervisor, platform_a, run_jobs)
    letter = Letter.objects.get(sanction=fine)
    assert letter.number == "DENDA/TELEGRAM/2026/001" and fine.letter_reference == letter.number
    text = text_of(letter)
    for expected in (letter.number, case.reference, "Peraturan Pemerintah Nomor 71 Tahun 2019", "Dewi Kartika",
                     "Telegram Messenger Inc.", "Dubai Media City",
                     "UU ITE Pasal 40 ayat (2b)", "Rp 240.000.000", "Keputusan Pengenaan Denda", "Upaya hukum"):
        assert expected in text or expected in text.replace("\n", ""), (expected, text)
    event = SanctionEvent.objects.get(sanction=fine, kind="letter")
    assert event.data["sha256"] == letter.sha256
    # Left for the README (docs/screenshots/letter-fine.png is its first page).
    from tests.test_browser import SHOTS

    SHOTS.mkdir(exist_ok=True)
    with letter.file.open("rb") as handle:
        (SHOTS / "letter-fine.pdf").write_bytes(handle.read())
    with run_jobs():
        english = letters.translate(letter, language="en", actor=supervisor)
    english.refresh_from_db()
    assert english.number == letter.number and english.sha256 != letter.sha256
    text = text_of(english)
    for expected in (letter.number, case.reference, "Government Regulation No. 71 of 2019", "IDR 240,000,000",
                     "Decision imposing an administrative fine", "Redress"):
        assert expected in text or expected in text.replace("\n", ""), (expected, text)


def test_numbers_run_per_type_and_year(traveller, make_case, platform_a, platform_b, run_jobs):
    with run_jobs():
        a = make_case(submit=True)
        b = make_case(submit=True, platform=platform_b)
    numbers = list(Letter.objects.order_by("id").values_list("number", flat=True))
    assert numbers == ["PT/TELEGRAM/2026/001", f"PT/{platform_b.slug.upper()}/2026/002"]
    assert LetterSeries.objects.get(kind="order", year=2026).last == 2
    traveller.move_to(datetime(2027, 1, 2, 1, 0, tzinfo=UTC))
    transition_case = make_case(submit=True)
    assert Letter.objects.get(case=transition_case).number == "PT/TELEGRAM/2027/001"
    assert {a.pk, b.pk} <= set(Letter.objects.values_list("case_id", flat=True))


def test_a_template_that_does_not_render_is_refused_on_save(administrator):
    from django.core.exceptions import ValidationError

    for body, problem in (("{% for c in cases %}{{ c.reference }}", "does not render"),  # unclosed
                          ("{{ case.secret }}", "case"),  # unknown field
                          ("{{ cases[0].reference.__class__.__mro__ }}", "does not render")):  # sandbox
        with pytest.raises(ValidationError) as refused:
            letters.save_template(kind="order", language="id", subject="Perintah", body=body, actor=administrator)
        assert problem in str(refused.value.message_dict["body"]), body
    assert not LetterTemplate.objects.exists()


def test_templates_are_versioned_and_letters_keep_theirs(traveller, make_case, administrator, run_jobs):
    with run_jobs():
        first = make_case(submit=True)
    v1 = Letter.objects.get(case=first).template
    assert v1.version == 1
    letters.save_template(kind="order", language="id", subject="Perintah {{ letter.number }}",
                          body=v1.body.replace("Dengan hormat,", "Yang terhormat,"), actor=administrator)
    with run_jobs():
        second = make_case(submit=True)
    letter = Letter.objects.get(case=second)
    assert letter.template.version == 2 and "Yang terhormat" in text_of(letter)
    assert Letter.objects.get(case=first).template == v1 and "Dengan hormat" in text_of(Letter.objects.get(case=first))


def test_the_console_refuses_a_broken_template_with_the_error(client, administrator, supervisor):
    client.force_login(supervisor)
    assert client.get("/admin/cases/lettertemplate/add/").status_code == 403  # administrators edit templates
    client.force_login(administrator)
    response = client.post("/admin/cases/lettertemplate/add/", {
        "kind": "st1", "language": "id", "subject": "Teguran", "body": "{{ sanction.amount "},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "does not render" in response.content.decode()
    response = client.post("/admin/cases/lettertemplate/add/", {
        "kind": "st1", "language": "id", "subject": "Teguran", "body": "<p>{{ sanction.level_label }}</p>"})
    assert response.status_code == 302
    assert LetterTemplate.objects.get().version == 1


def test_the_liaisons_first_download_is_recorded_once(traveller, make_case, client, analyst, liaison_a, liaison_b,
                                                      run_jobs):
    with run_jobs():
        case = make_case(submit=True)
    letter = Letter.objects.get(case=case)
    url = f"/letters/{letter.pk}/download/"
    client.force_login(analyst)  # the ministry's own download is no receipt
    assert client.get(url).status_code == 200
    client.force_login(liaison_b)
    assert client.get(url).status_code == 404
    for _ in range(2):
        client.force_login(liaison_a)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response)[:5] == b"%PDF-"
    api = bearer_client(liaison_a).get(f"/api/v1/letters/{letter.pk}/pdf/")
    assert api.status_code == 200
    letter.refresh_from_db()
    assert letter.received_by == liaison_a and letter.received_at == T0
    downloads = CaseEvent.objects.filter(case=case, kind=EventKind.LETTER_DOWNLOADED).order_by("id")
    assert [e.data["receipt"] for e in downloads] == [False, True, False, False]
    rows = bearer_client(liaison_a).get("/api/v1/letters/").json()["results"]
    assert [r["number"] for r in rows] == [letter.number] and rows[0]["received_at"]
    assert bearer_client(liaison_b).get("/api/v1/letters/").json()["results"] == []


def test_a_tampered_letter_is_caught_on_download(traveller, make_case, client, liaison_a, run_jobs):
    with run_jobs():
        case = make_case(submit=True)
    letter = Letter.objects.get(case=case)
    path = letter.file.path
    with open(path, "r+b") as handle:
        data = bytearray(handle.read())
        data[len(data) // 2] ^= 0xFF
        handle.seek(0)
        handle.write(bytes(data))
    client.force_login(liaison_a)
    response = client.get(f"/letters/{letter.pk}/download/")
    assert response.status_code == 409 and letter.number in response.content.decode()
    assert bearer_client(liaison_a).get(f"/api/v1/letters/{letter.pk}/pdf/").status_code == 409
    letter.refresh_from_db()
    assert letter.received_at is None
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.LETTER_DOWNLOADED).exists()


def test_letter_events_keep_the_chains_whole(traveller, make_case, supervisor, platform_a, run_jobs):
    issued_fine(make_case, traveller, supervisor, platform_a, run_jobs)
    for chain, model in ((audit.CASE_EVENTS, CaseEvent), (audit.SANCTION_EVENTS, SanctionEvent)):
        _head, broken = audit.verify(chain, model)
        assert broken is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_are_gapless_under_two_threads(platform_a, make_case):
    from django.db import transaction

    from tests.concurrency import race

    def number_one():
        with transaction.atomic():
            return letters.next_number("st1", 2026)

    results = []
    for _ in range(10):
        got, errors = race(number_one, number_one)
        assert not errors, errors
        results.extend(got)
    assert sorted(results) == list(range(1, 21))  # no number twice, none skipped
    assert LetterSeries.objects.get(kind="st1", year=2026).last == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_letters_of_two_concurrent_submissions_are_numbered_without_gaps(settings, make_case, analyst):
    from cases.cases.workflow import transition as case_transition
    from tests.concurrency import race

    settings.PATUH = {**settings.PATUH, "LETTERS": True}
    drafts = [make_case(url=f"https://t.me/race_letters/{i}") for i in range(20)]
    for first, second in zip(drafts[::2], drafts[1::2], strict=True):
        _got, errors = race(lambda c=first: case_transition(c, "submit", actor=analyst),
                            lambda c=second: case_transition(c, "submit", actor=analyst))
        assert not errors, errors
    sequences = sorted(Letter.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))


def test_webhooks_announce_the_sanction_and_its_letter(traveller, make_case, supervisor, liaison_a, platform_a,
                                                       run_jobs):
    from cases.api.services.webhooks import create_endpoint
    from cases.models import WebhookDelivery

    create_endpoint(actor=liaison_a, platform=platform_a, url="https://93.184.216.34/hook",
                    event_types=["sanction.issued", "letter.issued"], description="T&S queue")
    fine, _case = issued_fine(make_case, traveller, supervisor, platform_a, run_jobs)
    letter = Letter.objects.get(sanction=fine)
    sent = [(d.event_type, d.payload["data"]) for d in WebhookDelivery.objects.filter(platform=platform_a)
            .order_by("id")]
    assert [data["sanction"]["id"] for kind, data in sent if kind == "sanction.issued"] == [fine.pk]
    letters_sent = [data["letter"] for kind, data in sent if kind == "letter.issued"]
    order = Letter.objects.get(case=_case)
    assert [(x["number"], x["sha256"]) for x in letters_sent] == [(order.number, order.sha256),
                                                                  (letter.number, letter.sha256)]


def test_a_bulk_submission_numbers_its_orders_at_once_and_jobs_render_them(traveller, analyst, platform_a,
                                                                           run_jobs):
    from cases.models import Case

    body = {"submit": True, "items": [
        {"platform": "telegram", "category": "gambling", "location_url": f"https://t.me/slot{n}/1",
         "legal_basis": "UU ITE Pasal 27 ayat (2)", "reasons": "Judi daring.", "source": "crawler"}
        for n in range(5)]}
    with run_jobs():
        response = bearer_client(analyst).post("/api/v1/cases/bulk/", body, format="json")
        assert response.status_code == 200, response.content
        # Numbered in the request's transaction; no PDF rendered inside it.
        assert Letter.objects.count() == 5 and not Letter.objects.exclude(sha256="").exists()
    numbers = list(Letter.objects.order_by("sequence").values_list("number", flat=True))
    assert numbers == [f"PT/TELEGRAM/2026/{n:03d}" for n in range(1, 6)]
    assert Letter.objects.exclude(sha256="").count() == 5  # the job, after the commit
    assert set(Letter.objects.values_list("case_id", flat=True)) == set(Case.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("persona", ["analyst", "auditor", "liaison_a"])
def test_the_case_page_links_its_order_letter(persona, request, traveller, make_case, client, run_jobs):
    with run_jobs():
        case = make_case(submit=True)
    letter = Letter.objects.get(case=case)
    client.force_login(request.getfixturevalue(persona))
    site = "platform" if persona.startswith("liaison") else "admin"
    page = client.get(f"/{site}/cases/case/{case.pk}/change/").content.decode()
    assert f"/letters/{letter.pk}/download/" in page and letter.sha256 in page


def test_verify_letters_names_an_altered_one(traveller, make_case, run_jobs):
    from django.core.management import CommandError, call_command

    with run_jobs():
        good, bad = make_case(submit=True), make_case(submit=True)
    out = io.StringIO()
    call_command("verify_letters", stdout=out)
    assert "2 letter(s): every stored PDF matches" in out.getvalue()
    altered = Letter.objects.get(case=bad)
    with open(altered.file.path, "ab") as handle:
        handle.write(b"%tampered")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_letters", stdout=io.StringIO(), stderr=err)
    assert altered.number in err.getvalue() and Letter.objects.get(case=good).number not in err.getvalue()


def test_the_sweeper_queues_again_a_letter_whose_job_failed(traveller, make_case, run_jobs, monkeypatch):
    from cases.cases.services.sweeper import sweep

    def broken(html):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(letters, "render_pdf", broken)
    with run_jobs():
        case = make_case(submit=True)
    letter = Letter.objects.get(case=case)
    assert letter.sha256 == ""  # the job failed; the number stands, nothing half-written
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.LETTER_ISSUED).exists()
    monkeypatch.undo()
    traveller.shift(timedelta(minutes=20))
    with run_jobs():
        report = sweep()
    assert report.letters_requeued == 1
    letter.refresh_from_db()
    assert letter.sha256 and CaseEvent.objects.filter(case=case, kind=EventKind.LETTER_ISSUED).count() == 1
