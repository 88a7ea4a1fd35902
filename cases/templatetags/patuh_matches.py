"""`{% reupload_matches %}`: the case page's block of possible re-uploads (ministry console only)."""

from django import template

from cases.core.roles import MINISTRY_WRITERS, has_role, is_ministry
from cases.evidence.matches import EARLIER, HASH_LIST, LATER, matches_of_case

register = template.Library()


@register.inclusion_tag("patuh/_reupload_matches.html", takes_context=True)
def reupload_matches(context):
    request = context.get("request")
    case = context.get("case")
    user = getattr(request, "user", None)
    if case is None or context.get("site_name") != "admin" or not is_ministry(user):
        return {"show": False}
    return reupload_block(user, case, matches_of_case(case, user), next_url=request.get_full_path())


def reupload_block(user, case, views, *, next_url: str) -> dict:
    """The context of patuh/_reupload_matches.html: the case page's block, and one match's page in the queue."""
    return {
        "show": True,
        "views": views,
        "case": case,
        "can_decide": has_role(user, *MINISTRY_WRITERS),
        "next": next_url,
        "EARLIER": EARLIER, "LATER": LATER, "HASH_LIST": HASH_LIST,
    }
