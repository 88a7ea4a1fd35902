"""Re-check blocks for templates other engineers own: each is one `{% load rechecks %}` and one tag there.

- `{% recheck_panel %}` on the case page (both consoles): the re-check results this user may see, and for
  ministry writers the "re-check now" button, the still-live flag with its confirm and dismiss forms, and the
  verification the re-checks suggest.
- `{% still_live_flags %}` on the ministry dashboard: the cases reported removed but found still live.
- `{% recheck_scorecard %}` on the scorecards: the share of reported actions found still live, 30 and 90 days.
"""

from django import template
from django.urls import reverse

from cases.core.roles import MINISTRY_WRITERS, has_role, is_ministry
from cases.evidence.services import rechecks
from cases.models import Recheck, StillLiveFlag
from cases.reporting.reports import ReportScope, last_days

register = template.Library()


@register.inclusion_tag("patuh/_recheck_panel.html", takes_context=True)
def recheck_panel(context):
    request, case = context["request"], context.get("case")
    user = request.user
    site_name = context.get("site_name", "admin")
    out = {"case": case, "rows": [], "ministry": False, "csrf_token": context.get("csrf_token")}
    if case is None:
        return out
    out["rows"] = list(Recheck.objects.visible_to(user).filter(case=case).select_related("evidence")
                       .order_by("-due_at", "-id")[:30])
    if site_name != "admin" or not is_ministry(user):
        return out
    writer = has_role(user, *MINISTRY_WRITERS)
    flag = rechecks.open_flag(case)
    out.update(
        ministry=True, writer=writer, flag=flag, location=rechecks.location_url(case),
        suggestion=rechecks.verification_note(case),
        reopen_note=rechecks.reopen_note(flag) if flag else "",
        request_url=reverse("admin:cases_case_recheck", args=[case.pk]),
        confirm_url=reverse("admin:cases_case_recheck_confirm", args=[case.pk]),
        dismiss_url=reverse("admin:cases_case_recheck_dismiss", args=[case.pk]),
        verify_url=reverse("admin:cases_case_transition", args=[case.pk, "verify"]),
        waiting=any(r.status in ("pending", "running") and r.reason == "on_demand" for r in out["rows"]),
    )
    return out


@register.inclusion_tag("patuh/_recheck_flags.html", takes_context=True)
def still_live_flags(context, limit: int = 15):
    user = context["request"].user
    if not is_ministry(user):
        return {"show": False}
    flags = StillLiveFlag.objects.visible_to(user).open().select_related("case__platform", "recheck")
    return {"show": True, "count": flags.count(), "flags": list(flags.order_by("-raised_at")[:limit]),
            "list_url": reverse("admin:cases_case_changelist") + "?recheck=still_live"}


def still_live_periods(scope: ReportScope) -> dict:
    periods = []
    for days in (30, 90):
        first, last = last_days(days)
        periods.append({"days": days, "rows": rechecks.still_live_share(scope.of(Recheck), first=first, last=last)})
    return {"periods": periods}


@register.inclusion_tag("patuh/_recheck_scorecard.html", takes_context=True)
def recheck_scorecard(context):
    return still_live_periods(ReportScope(context["request"].user))
