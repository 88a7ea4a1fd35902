"""Labels for stored codes, in the page's language: a timeline says "Draft → Submitted", not "draft → submitted"."""

from django import template

from cases.core import display
from cases.core.choices import CaseStatus

register = template.Library()


def status_label(code: str) -> str:
    try:
        return CaseStatus(code).label
    except ValueError:
        return code  # a code no longer in the lifecycle is shown as recorded


register.filter("status_label", status_label)


# One form for a time and one for a ratio on every page (cases.core.display): `{{ case.due_at|when }}`,
# `{{ row.compliance|percent }}` or `{{ met|percent:total }}`.
register.filter("when", display.when)
register.filter("percent", display.percent)
