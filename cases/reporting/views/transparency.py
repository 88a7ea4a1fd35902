"""The public transparency page: published reports, drawn on the server (no script, charts as inline SVG),
with a CSV download and the exact published document (whose SHA-256 the page shows). Served only when the
ministry publishes (PATUH_PUBLIC_TRANSPARENCY=1); 404 otherwise. Counts only: see cases.reporting.services.publishing.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from cases.api.renderers import csv_lines
from cases.models import PublishedReport
from cases.reporting import charts
from cases.reporting.services.publishing import MONTH_COUNTS, csv_rows, document_of


def _published():
    if not settings.PATUH_PUBLIC_TRANSPARENCY:
        raise Http404
    return PublishedReport.objects.all()


def _share(value) -> float | None:
    return value if isinstance(value, int | float) else None


@require_GET
@cache_control(public=True, max_age=300)
def index(request):
    return TemplateResponse(request, "patuh/transparency/index.html", {"reports": _published()[:100]})


@require_GET
@cache_control(public=True, max_age=300)
def report(request, pk: int):
    published = get_object_or_404(_published(), pk=pk)
    document = document_of(published)
    figures = document["figures"]
    share_chart = charts.percent_bars(
        [(p["platform"], _share(p["on_time_share"]),
          _("%(met)s met, %(missed)s missed") % {"met": p["on_time"], "missed": p["missed"]}, "")
         for p in figures["platforms"]],  # a public page: no links into the consoles
        title=_("Orders that met their deadline, by platform"),
    )
    return TemplateResponse(request, "patuh/transparency/report.html", {
        "report": published, "document": document, "figures": figures, "share_chart": share_chart,
    })


@require_GET
@cache_control(public=True, max_age=300)
def report_csv(request, pk: int):
    published = get_object_or_404(_published(), pk=pk)
    header = ["month", "platform", "category", *MONTH_COUNTS]
    body = "".join(csv_lines(header, ([row.get(k, "") for k in header] for row in csv_rows(published))))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="patuh-transparency-{published.pk}.csv"'
    return response


@require_GET
@cache_control(public=True, max_age=300)
def report_json(request, pk: int):
    """The published document, byte for byte: its SHA-256 is the one the page shows."""
    published = get_object_or_404(_published(), pk=pk)
    return HttpResponse(published.document.encode(), content_type="application/json; charset=utf-8")
