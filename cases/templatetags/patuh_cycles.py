"""`{% case_cycles case %}`: the case page's table of submission cycles (templates/patuh/_cycles.html)."""

from django import template

from cases.core.recorders.rollups import MET, MISSED, PENDING, snapshot, verdict
from cases.models import SubmissionCycle

register = template.Library()

VERDICTS = {MET: "met", MISSED: "missed", PENDING: "pending"}


@register.inclusion_tag("patuh/_cycles.html")
def case_cycles(case):
    """Every cycle of `case` (the page already checked that its user may see the case), oldest first."""
    cycles = list(SubmissionCycle.objects.filter(case=case).order_by("number")) if case and case.pk else []
    for cycle in cycles:
        cycle.verdict = VERDICTS.get(verdict(snapshot(case, cycle)), "")
    return {"cycles": cycles}
