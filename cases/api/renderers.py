"""CSV for every report (`?format=csv`): a list of flat rows becomes a header and lines.

Cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote: a URL or a
handle sent by a crawler must never execute on an analyst's machine.
"""

import csv
import io
import re

from rest_framework.renderers import BaseRenderer

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number a spreadsheet may show as it is (-3, +1.5, -2e3): ASCII digits only, no spaces. The same pattern is
# applied in SQL by the PostgreSQL path of the case export (cases/api/export.py), so keep it a plain POSIX regex.
NUMBER_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
NUMBER = re.compile(NUMBER_PATTERN)


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    return NUMBER.fullmatch(text) is not None


class Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """Yield CSV-encoded lines: the header, then each row (an iterable of values)."""
    writer = csv.writer(Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):
            # An error (or a single object): key/value lines.
            data = [_flat(data)]
        rows = [_flat(r) for r in (data or [])]
        header = list(rows[0]) if rows else []
        out = io.StringIO()
        for line in csv_lines(header, ([r.get(h) for h in header] for r in rows)):
            out.write(line)
        return out.getvalue().encode(self.charset)


def _flat(row: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = "; ".join(str(v) for v in value)
        else:
            out[name] = value
    return out
