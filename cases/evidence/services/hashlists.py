"""Hash lists: exporting the PDQ hashes of content the ministry has confirmed illegal, importing partners' lists.

The file is CSV, in the columns python-threatexchange writes with `threatexchange dataset -P --csv` (the format HMA
and ThreatExchange tools read for ease of distribution), with PDQ's quality score added as a last column:

    signal_type,signal_str,collab,category,tags,quality
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,Patuh,POSITIVE_CLASS,terrorism,100

`signal_str` is the hash in 64 hex digits, `tags` the labels separated by spaces. Only hashes leave Patuh, never
images or case data. Imports also read a CSV with a `hash` (or `pdq`) column instead of `signal_str`, the lines PDQ's
own hasher prints (`hash=<hex>,quality=<n>,...`), the `pdq <hex>` lines of ThreatExchange's file exchange, and
bare hashes one per line. An import is all or nothing: one bad line refuses the file, naming the line.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.core import clock
from cases.core.choices import CaseStatus, EvidenceKind
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.evidence import pdq
from cases.evidence.services.hashing import min_quality
from cases.models import HashList, HashMatch, ImageHash, MatchDecision

COLUMNS = ["signal_type", "signal_str", "collab", "category", "tags", "quality"]
SIGNAL_TYPE = "pdq"  # python-threatexchange's name for the PDQ signal type
POSITIVE = "POSITIVE_CLASS"  # SignalOpinionCategory: this is the harmful content
MAX_ENTRIES = 2_000_000
# Through the console: about 100,000 hashes, imported within a request's time. Larger lists: `hash_list import`.
CONSOLE_MAX_BYTES = 10 * 1024 * 1024
MAX_ERRORS_SHOWN = 10
MAX_LINE = 10_000  # characters: every format above has lines of about 100
BATCH = 5_000


# --- export ----------------------------------------------------------------------------------------------


def exportable_hashes():
    """Evidence hashes of content the ministry has judged illegal: the image files of cases the platform actioned
    (or the ministry verified as gone), and any image a person confirmed as the same content as one of those. Never
    an image merely found inside a page archive (a logo, an avatar, an advertisement: nobody judged it), never a
    match nobody confirmed, nothing withdrawn, no platform response, no hash of low quality."""
    shareable = (
        ImageHash.objects.filter(evidence__isnull=False, quality__gte=min_quality()).exclude(pdq="")
        .filter(evidence__withdrawn_at__isnull=True).exclude(evidence__kind=EvidenceKind.PLATFORM_RESPONSE)
        .exclude(evidence__case__status=CaseStatus.WITHDRAWN)
    )
    judged = shareable.filter(part="", evidence__case__status__in=[CaseStatus.ACTIONED, CaseStatus.VERIFIED])
    confirmed = HashMatch.objects.filter(decision=MatchDecision.CONFIRMED)
    return (
        shareable.filter(Q(pk__in=judged.values("pk"))
                         | Q(pk__in=confirmed.filter(matched_hash__in=judged.values("pk")).values("evidence_hash"))
                         | Q(pk__in=confirmed.filter(evidence_hash__in=judged.values("pk")).values("matched_hash")))
        .values_list("pdq", "quality", "evidence__case__category")
        .order_by("id")
    )


def export_rows(*, actor, collab: str = "Patuh") -> Iterator[list[str]]:
    """The CSV rows (header first), one per distinct hash."""
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only analysts and supervisors export hash lists."))
    yield COLUMNS
    seen = set()
    for value, quality, category in exportable_hashes().iterator(chunk_size=10_000):
        if value in seen:
            continue
        seen.add(value)
        yield [SIGNAL_TYPE, value, collab, POSITIVE, category, str(quality)]


class _Echo:
    def write(self, value):
        return value


def export_csv_lines(*, actor, collab: str = "Patuh") -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    for row in export_rows(actor=actor, collab=collab):
        yield writer.writerow(row)


NOTHING_STORED = gettext_lazy("The list was not imported; nothing was stored.")

# --- import ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    hex: str
    quality: int | None
    labels: str


def parse_list(lines: Iterable[str]) -> tuple[list[Entry], int]:
    """Entries of a hash-list file (any of the formats above) and how many rows of other signal types were skipped.

    Raises ValidationError naming the first bad lines (by their line number in the file).
    """
    numbered = enumerate(lines, start=1)
    number, first = next(((n, line) for n, line in numbered if line.strip()), (0, ""))
    if not first:
        raise ValidationError(_("The file holds no hashes."), code="empty")
    header = [c.strip().lower() for c in next(_csv_rows(number - 1, [first]), (number, []))[1]]
    if {"signal_str", "hash", "pdq"} & set(header):
        return _parse_csv(header, number, (line for _n, line in numbered))
    return _parse_lines(_chain([(number, first)], numbered))


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


def _csv_rows(offset: int, lines) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of CSV text; what is not CSV (a quoted field running on for 128 KiB and more) refuses
    the file, naming the line."""
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ValidationError(
                [NOTHING_STORED, _("line %(n)s is not valid CSV (%(reason)s)") % {
                    "n": offset + reader.line_num, "reason": err}], code="invalid_csv") from err
        yield offset + reader.line_num, row


def _parse_csv(header: list[str], header_line: int, lines) -> tuple[list[Entry], int]:
    hash_column = next(c for c in ("signal_str", "hash", "pdq") if c in header)
    label_column = next((c for c in ("tags", "labels", "label") if c in header), None)
    entries, errors, skipped = [], _Errors(), 0
    for number, row in _csv_rows(header_line, lines):
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row, strict=False))
        if record.get("signal_type", SIGNAL_TYPE).strip().lower() not in (SIGNAL_TYPE, "hash_pdq", "pdq_hash"):
            skipped += 1
            continue
        _add(entries, errors, number, record.get(hash_column, ""), record.get("quality", ""),
             record.get(label_column, "") if label_column else "")
    return _finish(entries, errors), skipped


def _parse_lines(numbered) -> tuple[list[Entry], int]:
    entries, errors = [], _Errors()
    for number, raw in numbered:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("pdq ") or line.lower().startswith("pdq\t"):
            line = line[4:].strip()
        if "=" in line:  # PDQ's hasher: hash=<hex>,quality=<n>,filename=...
            fields = dict(part.split("=", 1) for part in line.split(",") if "=" in part)
            _add(entries, errors, number, fields.get("hash", ""), fields.get("quality", ""), fields.get("label", ""))
        else:
            # "<hash>", "<hash>,<quality>", or what `threatexchange dataset -P` prints: "pdq <hash> 'collab' {...}".
            head, _sep, rest = line.replace("\t", ",").partition(",")
            value, _space, more = head.strip().partition(" ")
            _add(entries, errors, number, value, rest.split(",")[0] if rest and not more else "", "")
    return _finish(entries, errors), 0


class _Errors(list):
    """The first few problems, as messages, and how many there were in all (a file of garbage stays cheap)."""

    total = 0

    def add(self, message: str) -> None:
        self.total += 1
        if len(self) < MAX_ERRORS_SHOWN:
            self.append(message)


def _add(entries, errors: _Errors, number, value, quality, labels) -> None:
    try:
        hex_value = pdq.normalise_hex(value)
    except ValueError:
        errors.add(_("line %(n)s: “%(value)s” is not a PDQ hash (64 hexadecimal digits)") % {
            "n": number, "value": (value or "")[:80]})
        return
    quality_value = None
    if str(quality or "").strip():
        try:
            quality_value = int(str(quality).strip())
        except ValueError:
            quality_value = -1
        if not 0 <= quality_value <= 100:
            errors.add(_("line %(n)s: the quality “%(value)s” is not a whole number from 0 to 100") % {
                "n": number, "value": str(quality)[:20]})
            return
    entries.append(Entry(hex_value, quality_value, " ".join((labels or "").split())[:300]))
    if len(entries) > MAX_ENTRIES:
        raise ValidationError(_("A list may hold at most %(n)s hashes.") % {"n": f"{MAX_ENTRIES:,}"}, code="too_many")


def _finish(entries: list[Entry], errors: _Errors) -> list[Entry]:
    if errors.total:
        shown = list(errors)
        if errors.total > len(shown):
            shown.append(_("and %(n)s more lines") % {"n": errors.total - len(shown)})
        raise ValidationError([NOTHING_STORED] + shown, code="invalid_lines")
    if not entries:
        raise ValidationError(_("The file holds no PDQ hashes."), code="empty")
    return entries


def decode_upload(file) -> Iterator[str]:
    """The uploaded file's lines as text (UTF-8, a byte-order mark allowed), each read at most MAX_LINE long."""
    try:
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        number = 0
        while line := text.readline(MAX_LINE + 1):
            number += 1
            if "\x00" in line:
                raise ValidationError(_("This is not a text file."), code="binary")
            if len(line) > MAX_LINE:
                raise ValidationError([NOTHING_STORED, _("line %(n)s is longer than %(max)s characters: not a line "
                                                         "of a hash list") % {"n": number, "max": f"{MAX_LINE:,}"}],
                                      code="line_too_long")
            yield line
    except UnicodeDecodeError as err:
        raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from err


def _text_problem(value: str) -> str | None:
    """Why the database cannot store this text (a NUL, or lone surrogates from bytes that are not UTF-8), if so."""
    if "\x00" in value:
        return _("Remove the NUL character (\\x00) from this text.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("This text is not valid Unicode (it holds lone surrogates).")
    return None


def import_list(*, actor, lines: Iterable[str], name: str, source: str, labels: str = "", description: str = "",
                original_name: str = "") -> tuple[HashList, int]:
    """Store a partner's list; (the list, rows of other signal types skipped). All or nothing."""
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only analysts and supervisors import hash lists."))
    name, source = (name or "").strip(), (source or "").strip()
    problems = {}
    if not name:
        problems["name"] = _("Name the list.")
    if not source:
        problems["source"] = _("Say who shared the list.")
    for field, value in (("name", name), ("source", source), ("labels", labels), ("description", description)):
        if field not in problems and (problem := _text_problem(value or "")):
            problems[field] = problem
    if problems:
        raise ValidationError(problems, code="invalid")
    # A file name from the shell may hold bytes that are not UTF-8 (surrogates): the database refuses those.
    original_name = (original_name or "").encode("utf-8", "replace").decode("utf-8")
    entries, skipped = parse_list(lines)
    labels = " ".join((labels or "").split())[:300]
    unique = list({e.hex: e for e in entries}.values())
    with transaction.atomic():
        hash_list = HashList.objects.create(
            name=name[:200], source=source[:200], labels=labels, description=(description or "").strip(),
            original_name=(original_name or "")[:255], entry_count=len(unique), imported_by=actor,
            imported_at=clock.now(),
        )
        now = clock.now()
        for start in range(0, len(unique), BATCH):
            ImageHash.objects.bulk_create([
                ImageHash(hash_list=hash_list, pdq=e.hex, quality=e.quality, labels=e.labels, created_at=now)
                for e in unique[start:start + BATCH]
            ])
    return hash_list, skipped
