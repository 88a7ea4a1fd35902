"""Publishing a period's report: the figures frozen, with their as-of time, the definitions' version and the
SHA-256 of the published document; and the public transparency page's reading of it.

The published document is what the public gets (the public page, its CSV and its JSON are drawn from it, and
its hash is of its exact bytes): counts only, no URL, handle, reference or evidence, and every count below
the threshold in force when it was published (PATUH_PUBLIC_MIN_COUNT, default 10) replaced by "< 10", with
the shares and hours drawn from fewer cycles than that left out. It never changes once published.
"""

import hashlib
import json
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import clock
from cases.core.roles import ADMINISTRATOR, SUPERVISOR, has_role
from cases.models import PublishedReport
from cases.reporting.reports import (  # noqa: E501
    COUNTS,
    DEFINITIONS_VERSION,
    ReportScope,
    check_day,
    compliance_report,
    transparency_counts,
)

HOURS = ("ack_median_hours", "ack_p90_hours", "action_median_hours", "action_p90_hours")
MONTH_COUNTS = ("received", "orders", "actioned", "actioned_on_time", "missed", "objected", "withdrawn")


def threshold() -> int:
    return int(getattr(settings, "PATUH_PUBLIC_MIN_COUNT", 10))


def _suppressed(figures: dict, counts: tuple[str, ...], minimum: int) -> dict:
    """`figures` with every count below `minimum` (but above 0) as "< minimum", and the share and hours left out
    when fewer than `minimum` cycles stand behind them."""
    out = {}
    for name, value in figures.items():
        if name in counts:
            out[name] = f"< {minimum}" if 0 < value < minimum else value
        else:
            out[name] = value
    if "on_time_share" in figures and figures.get("on_time", 0) + figures.get("missed", 0) < minimum:
        out["on_time_share"] = None
    if figures.get("orders", 0) < minimum:
        out.update(dict.fromkeys((h for h in HOURS if h in figures), None))
    return out


def public_figures(first: date, last: date, *, minimum: int) -> dict:
    """The public document's figures for the Jakarta days [first, last]: per platform (by name, with its
    categories) and in total, and per month, platform and category (docs/reports.md)."""
    report = compliance_report(ReportScope(everyone=True), first=first, last=last)
    platforms = [
        {"platform": p["platform_name"],
         **_suppressed({k: v for k, v in p.items() if k not in ("platform", "platform_name", "categories")},
                       COUNTS, minimum),
         "categories": [_suppressed(c, COUNTS, minimum) for c in p["categories"]]}
        for p in report["platforms"]
    ]
    months = [_suppressed(row, MONTH_COUNTS, minimum)
              for row in transparency_counts(ReportScope(everyone=True), first=first, last=last)]
    return {"platforms": platforms, "total": _suppressed(report["total"], COUNTS, minimum), "months": months}


def canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def publish_report(*, actor, first: date, last: date, title: str = "") -> PublishedReport:
    """Freeze the figures of the Jakarta days [first, last] as a published report. Supervisors (and
    administrators) only; the period must be over by at least its last day's start and not run backwards."""
    if not has_role(actor, SUPERVISOR, ADMINISTRATOR):
        raise PermissionDenied(_("Only a supervisor may publish a report."))
    check_day(first)
    check_day(last)
    now = clock.now()
    if first > last:
        raise ValidationError({"first_day": _("The first day is after the last day.")})
    if last > timezone.localdate(now):
        raise ValidationError({"last_day": _("A report can only be published for days that have begun.")})
    minimum = threshold()
    title = (title or "").strip() or _("Takedown orders, %(first)s to %(last)s") % {"first": first, "last": last}
    document = {
        "title": title,
        "period": {"from": first.isoformat(), "to": last.isoformat(), "days": "Asia/Jakarta calendar days"},
        "as_of": now.isoformat(),
        "definitions": {"version": DEFINITIONS_VERSION, "page": "docs/reports.md"},
        "publisher": settings.PATUH["ISSUING_AUTHORITY"],
        "suppression": {"below": minimum, "shown_as": f"< {minimum}"},
        "figures": public_figures(first, last, minimum=minimum),
    }
    text = canonical(document)
    with transaction.atomic():
        report = PublishedReport(
            first_day=first, last_day=last, title=title[:200], as_of=now, published_at=now, published_by=actor,
            definitions_version=DEFINITIONS_VERSION, document=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
        )
        report.save()
    return report


def document_of(report: PublishedReport) -> dict:
    return json.loads(report.document)


def csv_rows(report: PublishedReport) -> list[dict]:
    """The published document's month rows (platform, category, month and counts), for the CSV download."""
    return document_of(report)["figures"]["months"]
