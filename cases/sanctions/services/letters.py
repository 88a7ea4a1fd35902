"""Official letters as PDF: the takedown order of every submitted case and the letter of every issued sanction.

How a letter comes to be:

1. `prepare_order` / `prepare_sanction_letter`, in the transaction of the step that calls for it (a case's
   submission, a sanction's issue): the number is taken from the series of its type and year under a row lock
   (`next_number`), so numbers are gapless and never repeated even under concurrency, and the Letter row is
   written with the template version in force. A job is queued for after the commit.
2. `produce` (the job `cases.tasks.render_letter`, or inline): the sandboxed Jinja2 template is rendered with
   the letter's own data only (`context`), WeasyPrint makes the PDF, the file goes to private storage (the
   evidence store: no public URL), and its SHA-256 is written into the case's or the sanction's hash-chained
   timeline with the number; `letter.issued` is announced to the platform's webhooks.
3. `open_for_download`: every download re-hashes the stored file (a mismatch is refused, 409) and is written
   to the same timeline; the platform's first download is its receipt (`received_at`, once).

Why WeasyPrint: HTML and CSS templates administrators can read and edit, proper text (the PDF's text can be
extracted and searched), fonts and page counters, maintained (BSD). It needs Pango from the system, which
`make install` brings in (the Makefile's system-packages step).
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cases.core import audit, clock
from cases.core.choices import EventKind, SanctionLevel, Visibility
from cases.core.roles import is_ministry, liaison_platform_ids
from cases.models import Case, Letter, LetterKind, LetterSeries, LetterTemplate, Sanction, SanctionEvent
from cases.sanctions.letters import defaults

log = logging.getLogger("patuh.letters")

KIND_FOR_LEVEL = {SanctionLevel.WARNING_1: LetterKind.WARNING_1, SanctionLevel.WARNING_2: LetterKind.WARNING_2,
                  SanctionLevel.WARNING_3: LetterKind.WARNING_3, SanctionLevel.FINE: LetterKind.FINE,
                  SanctionLevel.ACCESS_BLOCK: LetterKind.ACCESS_BLOCK}

# What a template may use: the letter's own data, as plain strings, lists and dicts (nothing else reaches it).
FIELDS = {
    "letter": "number, kind, kind_label, date, subject, language",
    "addressee": "name, platform, address, email, attention (a list of names)",
    "cases": "a list of: reference, category, location, legal_basis, reasons, requested_action, submitted, "
             "deadline, lateness",
    "sanction": "level_label, reason, content_category, amount, points_cap, tariff, fine_lines (a list of: factor, "
                "words, value); empty for a takedown order",
    "legal_basis": "the legal basis, one sentence",
    "redress": "the redress open to the platform",
    "signatory": "name, title",
    "ministry": "state, name, unit, address",
}

ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True, trim_blocks=True)


class LetterIntegrityError(Exception):
    """The stored PDF does not match the SHA-256 recorded when it was produced."""

    def __init__(self, letter: Letter, found: str):
        super().__init__(f"letter {letter.number}: stored file hashes to {found}, recorded {letter.sha256}")
        self.letter, self.found = letter, found


# --- templates -----------------------------------------------------------------------------------------------


def current_template(kind: str, language: str) -> LetterTemplate:
    """The template version in force; version 1 (the built-in text) is written on first use."""
    found = LetterTemplate.objects.filter(kind=kind, language=language).order_by("-version").first()
    if found is not None:
        return found
    subject, body = defaults.default(kind, language)
    try:
        with transaction.atomic():
            return LetterTemplate.objects.create(kind=kind, language=language, version=1, subject=subject, body=body)
    except IntegrityError:
        return LetterTemplate.objects.get(kind=kind, language=language, version=1)


def check_template(kind: str, subject: str, body: str) -> None:
    """Refuse a template that does not render (a syntax error, an unknown field, a forbidden access) with the
    error, by rendering it with sample data of its letter type: letters can then never fail on it."""
    errors = {}
    for name, source in (("subject", subject), ("body", body)):
        try:
            template = ENV.from_string(source)
            for sample in sample_contexts(kind):
                template.render(sample)
        except TemplateError as err:
            line = getattr(err, "lineno", None)
            where = _(" (line %(n)s)") % {"n": line} if line else ""
            errors[name] = _("This template does not render%(where)s: %(error)s. Fields you may use: %(fields)s.") % {
                "where": where, "error": err.message or err.__class__.__name__,
                "fields": "; ".join(f"{k} ({v})" for k, v in FIELDS.items())}
    if errors:
        raise ValidationError(errors)


def save_template(*, kind: str, language: str, subject: str, body: str, actor) -> LetterTemplate:
    """A new version of a template (checked first); earlier letters keep the version they used."""
    check_template(kind, subject, body)
    with transaction.atomic():
        current = (LetterTemplate.objects.select_for_update().filter(kind=kind, language=language)
                   .order_by("-version").first())
        version = current.version + 1 if current else 1
        return LetterTemplate.objects.create(kind=kind, language=language, version=version, subject=subject,
                                             body=body, created_by=actor)


# --- numbers ------------------------------------------------------------------------------------------------


def next_number(kind: str, year: int, count: int = 1) -> int:
    """The next number of the series (the first of `count` consecutive ones), under its row lock; call inside the
    transaction that writes the letter(s).

    The first letter of a year creates the series row; a concurrent first letter waits on the unique index,
    then reads the row the winner wrote. A rolled-back letter rolls its number back with it: no gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that writes the letter")
    series = LetterSeries.objects.select_for_update().filter(kind=kind, year=year).first()
    if series is None:
        try:
            with transaction.atomic():
                series = LetterSeries.objects.create(kind=kind, year=year, last=0)
        except IntegrityError:
            series = LetterSeries.objects.select_for_update().get(kind=kind, year=year)
    first = series.last + 1
    series.last += count
    series.save(update_fields=["last"])
    return first


def format_number(kind: str, platform_slug: str, year: int, sequence: int) -> str:
    return f"{defaults_prefix(kind)}/{platform_slug.upper()}/{year}/{sequence:03d}"


def defaults_prefix(kind: str) -> str:
    from cases.sanctions.models.letters import NUMBER_PREFIX

    return NUMBER_PREFIX[kind]


# --- preparing (in the step's transaction) ------------------------------------------------------------------


def enabled() -> bool:
    return settings.PATUH.get("LETTERS", True)


def _new_letter(*, kind: str, platform, actor, case=None, sanction=None, language="id", number=None) -> Letter:
    today = timezone.localdate(clock.now())
    if number is None:
        sequence = next_number(kind, today.year)
        number = (today.year, sequence, format_number(kind, platform.slug, today.year, sequence))
    year, sequence, text = number
    letter = Letter.objects.create(
        kind=kind, number=text, year=year, sequence=sequence, language=language, platform=platform, case=case,
        sanction=sanction, template=current_template(kind, language), dated=today, issued_by=actor,
        created_at=clock.now())
    from cases.core.jobs import enqueue_after_commit
    from cases.tasks import render_letter

    enqueue_after_commit(render_letter, letter.pk)
    return letter


def prepare_order(case: Case, *, actor) -> Letter | None:
    """The takedown order of a case just submitted (or reopened): numbered now, produced by a job."""
    if not enabled():
        return None
    return _new_letter(kind=LetterKind.ORDER, platform=case.platform, actor=actor, case=case)


BATCH = 50  # letters rendered per job when many are numbered at once (bulk submission)


def prepare_orders(cases, *, actor) -> list[Letter]:
    """The takedown orders of many cases submitted together (bulk intake): one series lock, one insert, and a
    job per BATCH letters, so the request that submits them never waits for a PDF."""
    cases = [c for c in cases if c.pk is not None]
    if not enabled() or not cases:
        return []
    today = timezone.localdate(clock.now())
    first = next_number(LetterKind.ORDER, today.year, count=len(cases))
    template = current_template(LetterKind.ORDER, "id")
    now = clock.now()
    from cases.models import Platform

    slugs = dict(Platform.objects.filter(pk__in={c.platform_id for c in cases}).values_list("pk", "slug"))
    made = Letter.objects.bulk_create([
        Letter(kind=LetterKind.ORDER, number=format_number(LetterKind.ORDER, slugs[case.platform_id], today.year, n),
               year=today.year, sequence=n, language="id", platform_id=case.platform_id, case=case,
               template=template, dated=today, issued_by=actor, created_at=now)
        for n, case in enumerate(cases, start=first)])
    from cases.core.jobs import enqueue_after_commit
    from cases.tasks import render_letters

    ids = [letter.pk for letter in made] if all(letter.pk for letter in made) else list(
        Letter.objects.filter(kind=LetterKind.ORDER, year=today.year, sequence__gte=first,
                              sequence__lt=first + len(cases), language="id").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        enqueue_after_commit(render_letters, ids[start:start + BATCH])
    return made


def prepare_sanction_letter(sanction: Sanction, *, actor) -> Letter | None:
    if not enabled():
        return None
    return _new_letter(kind=KIND_FOR_LEVEL[sanction.level], platform=sanction.platform, actor=actor,
                       sanction=sanction)


def translate(letter: Letter, *, language: str, actor) -> Letter:
    """The same letter, same number, in another language (English on request)."""
    existing = Letter.objects.filter(kind=letter.kind, year=letter.year, sequence=letter.sequence,
                                     language=language).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return _new_letter(kind=letter.kind, platform=letter.platform, actor=actor, case=letter.case,
                           sanction=letter.sanction, language=language,
                           number=(letter.year, letter.sequence, letter.number))


def requeue_unproduced(now, *, older_than_minutes: int = 15) -> int:
    """Letters numbered a while ago and still without their PDF (a job that failed, e.g. a renderer missing its
    system library, or was lost) get a new job; the sweeper calls this. Returns how many were queued."""
    from datetime import timedelta

    from cases.core.jobs import enqueue_after_commit
    from cases.tasks import render_letters

    ids = list(Letter.objects.filter(sha256="", created_at__lt=now - timedelta(minutes=older_than_minutes))
               .order_by("id").values_list("pk", flat=True)[:1000])
    for start in range(0, len(ids), BATCH):
        enqueue_after_commit(render_letters, ids[start:start + BATCH])
    return len(ids)


# --- the letter's data --------------------------------------------------------------------------------------


def _when(value, language: str) -> str:
    if value is None:
        return "—"
    with translation.override(language):
        if isinstance(value, date) and not hasattr(value, "hour"):
            return formats.date_format(value, "j F Y")
        # A letter spells the month out; the time reads as on every page of that language (portal/formats).
        return formats.date_format(timezone.localtime(value), f"j F Y {formats.get_format('TIME_FORMAT')} T")


def _case_row(case: Case, language: str) -> dict:
    from cases.sanctions.services.sanctions import how_late

    with translation.override(language):
        return {
            "reference": case.reference, "category": str(case.get_category_display()),
            "location": case.location_display, "legal_basis": case.legal_basis, "reasons": case.reasons,
            "requested_action": str(case.get_requested_action_display()),
            "submitted": _when(case.submitted_at, language),
            "deadline": _when(case.due_at, language), "lateness": how_late(case),
        }


def _legal_basis(cases, language: str, sanction: Sanction | None) -> str:
    bases = sorted({c.legal_basis for c in cases if c.legal_basis})
    config = settings.PATUH_LETTERS
    if sanction is not None:
        bases = [config["SANCTION_LEGAL_BASIS"][language], *bases]
    return "; ".join(bases) or config["ORDER_LEGAL_BASIS"][language]


def context(letter: Letter) -> dict:
    """The letter's own data, the only thing its template sees."""
    from cases.core.money import format_amount
    from cases.sanctions.services.sanctions import fine_lines

    language = letter.language
    config = settings.PATUH_LETTERS
    sanction = letter.sanction
    cases = [letter.case] if letter.case_id else list(sanction.cases.order_by("reference")) if sanction else []
    with translation.override(language):
        sanction_data = {}
        if sanction is not None:
            inputs = sanction.fine_inputs or {}
            sanction_data = {
                "level_label": str(sanction.get_level_display()), "reason": sanction.reason,
                "content_category": str(sanction.get_content_category_display()) if sanction.content_category else "",
                "amount": format_amount(sanction.amount, inputs.get("currency", "IDR"), language)
                if sanction.amount is not None else "",
                "points_cap": str(inputs.get("points_cap", "")),
                "tariff": format_amount(inputs["tariff_per_point"], inputs.get("currency", "IDR"), language)
                if inputs.get("tariff_per_point") else "",
                "fine_lines": [{k: str(v) for k, v in line.items() if k in ("factor", "words", "value")}
                               for line in fine_lines(inputs)] if inputs else [],
            }
        signer = letter.issued_by
        return {
            "letter": {"number": letter.number, "kind": letter.kind, "kind_label": str(letter.get_kind_display()),
                       "date": _when(letter.dated, language), "subject": "", "language": language},
            "addressee": letter.platform.addressee(),
            "cases": [_case_row(c, language) for c in cases],
            "sanction": sanction_data,
            "legal_basis": _legal_basis(cases, language, sanction),
            "redress": config["REDRESS"][language],
            "signatory": {"name": (signer.get_full_name() or signer.get_username()) if signer else config["SIGNATORY"],
                          "title": config["SIGNATORY_TITLE"][language]},
            "ministry": {k: config["MINISTRY"][k][language] for k in ("state", "name", "unit", "address")},
        }


def sample_contexts(kind: str) -> list[dict]:
    """Data shaped like a real letter's, to check a template on save (with and without cases, with a fine)."""
    config = settings.PATUH_LETTERS
    case = {"reference": "PTH-2026-000001", "category": "Terrorism", "location": "https://t.me/example/1",
            "legal_basis": "UU ITE Pasal 40", "reasons": "Propaganda.", "requested_action": "Remove the content",
            "submitted": "2 Maret 2026 08.00 WIB", "deadline": "3 Maret 2026 08.00 WIB", "lateness": "2 d 3 h"}
    base = {
        "letter": {"number": "ST1/TELEGRAM/2026/001", "kind": kind, "kind_label": kind, "date": "2 Maret 2026",
                   "subject": "", "language": "id"},
        "addressee": {"name": "Telegram Messenger Inc.", "platform": "Telegram", "address": "Dubai",
                      "email": "abuse@telegram.example", "attention": ["Liaison"]},
        "cases": [case], "legal_basis": "UU ITE", "redress": "Objection within 14 days.",
        "signatory": {"name": "Supervisor", "title": "Director"},
        "ministry": {k: config["MINISTRY"][k]["id"] for k in ("state", "name", "unit", "address")},
    }
    fine = {"level_label": "Fine", "reason": "Late.", "content_category": "Terrorism", "amount": "Rp 1",
            "points_cap": "500", "tariff": "Rp 1", "fine_lines": [{"factor": "Content", "words": "Terror",
                                                                    "value": "2.0"}]}
    if kind == LetterKind.ORDER:
        return [{**base, "sanction": {}}]
    return [{**base, "sanction": fine}, {**base, "cases": [], "sanction": {**fine, "amount": ""}}]


# --- producing (the job) ------------------------------------------------------------------------------------


def render_html(letter: Letter) -> tuple[str, str]:
    """(subject, full HTML) of the letter."""
    data = context(letter)
    template = letter.template
    subject = ENV.from_string(template.subject).render(data).strip()
    data["letter"]["subject"] = subject
    body = ENV.from_string(template.body).render(data)
    from markupsafe import Markup

    html = ENV.from_string(defaults.LAYOUT).render({**data, "body": Markup(body),  # noqa: S704 - sandboxed output
                                                    "labels": defaults.LABELS[letter.language]})
    return subject, html


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # No base URL: a template cannot make the renderer fetch anything (no file:// or http:// resources).
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"letters fetch nothing ({url[:60]})")


def produce(letter_id: int) -> Letter | None:
    """Render, store and record one letter. Safe to run twice: a produced letter is left alone."""
    letter = Letter.objects.select_related("platform", "case", "sanction", "template", "issued_by").get(pk=letter_id)
    if letter.sha256:
        return letter
    subject, html = render_html(letter)
    pdf = render_pdf(html)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        audit.lock_events()  # before the letter's row (lock order: cases.core.audit.lock_events)
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        if locked.sha256:
            return locked
        name = f"letters/{letter.year}/{digest[:2]}/{digest}.pdf"
        locked.file.save(name, ContentFile(pdf), save=False)
        locked.sha256, locked.size, locked.subject = digest, len(pdf), subject[:300]
        locked.produced_at = clock.now()
        locked.save(update_fields=["file", "sha256", "size", "subject", "produced_at"])
        data = {"letter": locked.pk, "number": locked.number, "language": locked.language, "sha256": digest,
                "size": len(pdf), "template_version": letter.template.version}
        _record(locked, produced=True, actor=None, data=data,
                note=_("Letter %(number)s produced (SHA-256 %(sha)s).") % {"number": locked.number, "sha": digest})
        from cases.core.recorders.outbox import emit_letter_issued

        emit_letter_issued(locked)
    return locked


def _record(letter: Letter, *, produced: bool, actor, data: dict, note: str) -> None:
    """One event in the letter's subject's timeline: the case's, or the sanction's."""
    from cases.core.recorders.events import actor_name, record_event

    if letter.case_id:
        record_event(letter.case, EventKind.LETTER_ISSUED if produced else EventKind.LETTER_DOWNLOADED, actor=actor,
                     visibility=Visibility.SHARED, note=note, data=data)
    else:
        sanction = letter.sanction
        audit.create(SanctionEvent, sanction=sanction, kind="letter" if produced else "letter_downloaded",
                     actor=actor, actor_name=actor_name(actor), from_status=sanction.status,
                     to_status=sanction.status, note=note, created_at=clock.now(), data=data)


# --- downloading --------------------------------------------------------------------------------------------


@dataclass
class Download:
    letter: Letter
    content: bytes
    receipt: bool


def open_for_download(letter: Letter, *, actor) -> Download:
    """The stored PDF, re-verified against its recorded SHA-256, with the download written to the timeline.

    The platform's first download is recorded as its receipt (once, whatever the concurrency). A mismatch
    raises LetterIntegrityError and sends nothing.
    """
    with letter.file.open("rb") as handle:
        content = handle.read()
    found = hashlib.sha256(content).hexdigest()
    if found != letter.sha256:
        log.error("letter integrity failure: %s (id %s) hashes to %s, recorded %s", letter.number, letter.pk, found,
                  letter.sha256)
        raise LetterIntegrityError(letter, found)
    by_platform = not is_ministry(actor) and letter.platform_id in liaison_platform_ids(actor)
    with transaction.atomic():
        audit.lock_events()
        receipt = False
        if by_platform:
            receipt = bool(Letter.objects.filter(pk=letter.pk, received_at__isnull=True).update(
                received_at=clock.now(), received_by=actor))
        note = (_("Received by the platform: first download of letter %(number)s.") if receipt else
                _("Letter %(number)s downloaded.")) % {"number": letter.number}
        _record(letter, produced=False, actor=actor, note=note,
                data={"letter": letter.pk, "number": letter.number, "language": letter.language, "sha256": found,
                      "verified": True, "receipt": receipt})
    if receipt:
        letter.refresh_from_db(fields=["received_at", "received_by"])
    return Download(letter, content, receipt)
