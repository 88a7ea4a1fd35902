"""The index pages of both consoles, and the platform scorecard. Same figures, scoped by the same rule.

Compliance figures come from `reports.compliance_report` over `reports.last_days(n)`, exactly what
`/api/v1/reports/compliance/` answers for the same Jakarta days, so a console and the API never disagree.
Counts over periods (compliance, the daily chart) are read from the rollups; what depends on the current
time (open cases by deadline state, the overdue list, the headline) from the open cases only.
"""

from functools import partial
from types import SimpleNamespace
from urllib.parse import urlencode

from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.api.admin.webhooks import dashboard_alerts
from cases.core import clock
from cases.core.choices import CaseStatus, SanctionStatus
from cases.models import Case, Sanction
from cases.reporting import charts, reports
from cases.reporting.charts import Segment
from cases.reporting.reports import ReportScope


def _headline(open_rows: list[reports.PlatformOpen]) -> dict:
    """The headline counts, summed from `reports.open_by_platform` (the stored open counts)."""
    return {
        "open": sum(r.total for r in open_rows),
        "overdue": sum(r.overdue for r in open_rows),
        "due_soon": sum(r.due_soon for r in open_rows),
        "objected": sum(r.objected for r in open_rows),
        "to_verify": sum(r.with_ministry - r.objected for r in open_rows),
    }


def _charts(cases, scope: ReportScope, open_rows: list[reports.PlatformOpen], *, site_name: str,
            days: int = 90) -> dict:
    """The three charts, in the page's language; every bar (and every day of the daily chart) links to the case
    list it counts, through the FilterSet's parameters (`chart_link`)."""
    now = clock.now()
    link = partial(chart_link, site_name)
    open_chart = charts.stacked_bars(
        [(r.platform, [
            Segment("overdue", _("overdue"), r.overdue, link(r.slug, deadline_state=reports.DeadlineState.OVERDUE)),
            Segment("due_soon", _("due within 1 h"), r.due_soon,
                    link(r.slug, deadline_state=reports.DeadlineState.DUE_SOON)),
            Segment("on_time", _("on time"), r.on_time, link(r.slug, deadline_state=reports.DeadlineState.ON_TIME)),
            Segment("with_ministry", _("with the ministry"), r.with_ministry,
                    link(r.slug, status=[CaseStatus.ACTIONED, CaseStatus.OBJECTED])),
        ]) for r in open_rows],
        title=_("Open cases by platform and deadline state"),
    )
    compliance = compliance_rows(scope, days=30)
    first, last = reports.last_days(30)
    share_chart = charts.percent_bars(
        # The share is of orders; its bar opens the platform's cases submitted in the same 30 days.
        [(c.platform_name, c.on_time_share,
          ngettext("of %(n)s decided order", "of %(n)s decided orders", c.decided) % {"n": c.decided},
          link(c.platform, submitted_from=first, submitted_to=last)) for c in compliance],
        title=_("Actioned within the deadline, last 30 days"),
    )
    series = reports.daily_series(scope, days=days)
    daily_chart = charts.line_chart(
        [formats.date_format(d.day, "MONTH_DAY_FORMAT") for d in series],
        [("received", _("received"), [d.received for d in series]),
         ("actioned", _("actioned"), [d.actioned for d in series]),
         ("overdue", _("became overdue"), [d.overdue for d in series])],
        title=_("Daily: received, actioned and overdue, last %(days)s days") % {"days": days},
        width=1200, height=240,
        # Each day opens the cases first submitted that day: the day's "received".
        links=[link(None, submitted_from=d.day, submitted_to=d.day) for d in series],
    )
    return {
        "open_chart": open_chart, "share_chart": share_chart, "daily_chart": daily_chart,
        "compliance": compliance, "overdue_cases": reports.overdue_list(cases), "now": now,
    }


def chart_link(site_name: str, platform: str | None, **filters) -> str:
    """The case list of `site_name` filtered by the FilterSet's parameters (a list value repeats the parameter),
    for one platform (its slug) or all in scope."""
    params = [("awaiting", "")] if site_name == "platform" else []  # the inbox opens on "awaiting"; count all
    if platform:
        params.append(("platform", platform))
    for name, value in filters.items():
        params.extend((name, str(v)) for v in (value if isinstance(value, list | tuple) else [value]))
    return f"{reverse(f'{site_name}:cases_case_changelist')}?{urlencode(params)}"


def kpi_links(site_name: str) -> dict:
    """Each headline figure links to the case list it counts, through the lists' FilterSet parameters (the same
    names the API takes)."""
    base = reverse(f"{site_name}:cases_case_changelist")
    extra = "awaiting=&" if site_name == "platform" else ""  # the inbox opens on "awaiting"; these count all
    return {
        "open": f"{base}?{extra}" + "&".join(f"status={s}" for s in OPEN_BUT_DRAFT),
        "overdue": f"{base}?{extra}deadline_state={reports.DeadlineState.OVERDUE}",
        "due_soon": f"{base}?{extra}deadline_state={reports.DeadlineState.DUE_SOON}",
        "objected": f"{base}?{extra}status={CaseStatus.OBJECTED}",
        "to_verify": f"{base}?{extra}status={CaseStatus.ACTIONED}",
        "pending_sanctions": (reverse("admin:cases_sanction_changelist") + f"?status={SanctionStatus.PROPOSED}"
                              if site_name == "admin" else ""),
    }


# What `reports.open_by_platform` counts as open.
OPEN_BUT_DRAFT = (CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED, CaseStatus.ACTIONED, CaseStatus.OBJECTED)


def ministry_dashboard(request) -> dict:
    scope = ReportScope(request.user)
    open_rows = reports.open_by_platform(scope)
    return {
        "headline": _headline(open_rows), "kpi_links": kpi_links("admin"),
        "pending_sanctions": Sanction.objects.visible_to(request.user).filter(status=SanctionStatus.PROPOSED).count(),
        **dashboard_alerts(request),  # webhooks: orders that reached nobody, failing endpoints (issue 16)
        **_charts(Case.objects.visible_to(request.user), scope, open_rows, site_name="admin"),
    }


def platform_dashboard(request) -> dict:
    scope = ReportScope(request.user)
    open_rows = reports.open_by_platform(scope)
    return {"headline": _headline(open_rows), "kpi_links": kpi_links("platform"),
            **_charts(Case.objects.visible_to(request.user), scope, open_rows, site_name="platform")}


def compliance_rows(scope: ReportScope, *, days: int) -> list[SimpleNamespace]:
    """Per platform, for cases submitted in the last `days` Jakarta days (today included): the figures of
    `reports.compliance_report` (`platform`, `platform_name`, `received`, ..., `on_time_share`) plus
    `decided`, as attributes. One query."""
    first, last = reports.last_days(days)
    report = reports.compliance_report(scope, first=first, last=last, durations=False)
    return [SimpleNamespace(**{k: v for k, v in p.items() if k != "categories"}, decided=reports.decided(p))
            for p in report["platforms"]]


def scorecard(scope: ReportScope) -> list[dict]:
    return [{"days": days, "rows": compliance_rows(scope, days=days)} for days in (30, 90)]


def scorecard_view(site):
    def view(request):
        context = {**site.each_context(request), "title": _("Compliance scorecard"),
                   "periods": scorecard(ReportScope(request.user))}
        return TemplateResponse(request, "patuh/scorecard.html", context)

    return view
