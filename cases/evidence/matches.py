"""Reading re-upload matches for one user: the API's `matches` and the case page's block share these.

Everything starts from `HashMatch.objects.visible_to(user)` (the one scoping rule), so a liaison only ever gets
confirmed matches between two evidence items they may both see, and never a hash-list match.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch

from cases.core.roles import is_ministry
from cases.models import Evidence, HashMatch

EARLIER = "earlier_evidence"  # this item looks like an earlier one: possibly a re-upload of it
LATER = "later_evidence"  # a later item looks like this one
HASH_LIST = "hash_list"  # this item looks like an entry of an imported hash list


def visible_matches(user):
    return HashMatch.objects.visible_to(user).select_related(
        "evidence__case", "matched_evidence__case", "matched_hash__hash_list", "decided_by")


def match_prefetches(user) -> list[Prefetch]:
    """For an evidence queryset: both directions of its visible matches, in two queries for a whole page."""
    visible = visible_matches(user)
    return [Prefetch("hash_matches", queryset=visible, to_attr="visible_matches_later_side"),
            Prefetch("matched_by", queryset=visible, to_attr="visible_matches_earlier_side")]


@dataclass(frozen=True)
class MatchView:
    match: HashMatch
    relation: str  # EARLIER, LATER or HASH_LIST
    other: Evidence | None  # the other evidence item (None for a hash-list entry)

    @property
    def other_case(self):
        return self.other.case if self.other is not None else None

    @property
    def hash_list(self):
        return self.match.matched_hash.hash_list if self.relation == HASH_LIST else None

    @property
    def labels(self) -> str:
        if self.relation != HASH_LIST:
            return ""
        return self.match.matched_hash.labels or self.hash_list.labels


def matches_of(evidence: Evidence, user) -> list[MatchView]:
    """The matches of one evidence item this user may see, nearest first."""
    later_side = getattr(evidence, "visible_matches_later_side", None)
    earlier_side = getattr(evidence, "visible_matches_earlier_side", None)
    if later_side is None or earlier_side is None:
        visible = visible_matches(user)
        later_side = list(visible.filter(evidence=evidence))
        earlier_side = list(visible.filter(matched_evidence=evidence))
    views = [MatchView(m, EARLIER if m.matched_evidence_id else HASH_LIST, m.matched_evidence) for m in later_side]
    views += [MatchView(m, LATER, m.evidence) for m in earlier_side]
    return sorted(views, key=lambda v: (v.match.distance, v.match.pk))


def matches_of_case(case, user) -> list[MatchView]:
    """Every visible match of the case's evidence items (both directions), nearest first."""
    evidence = (Evidence.objects.visible_to(user).filter(case=case).select_related("case")
                .prefetch_related(*match_prefetches(user)))
    seen, views = set(), []
    for item in evidence:
        for view in matches_of(item, user):
            if view.match.pk not in seen:
                seen.add(view.match.pk)
                views.append(view)
    order = {EARLIER: 0, HASH_LIST: 1, LATER: 2}  # what this case may re-upload first, then its own re-uploads
    return sorted(views, key=lambda v: (order[v.relation], v.match.distance, v.match.pk))


def reupload_q(user, *, case_ref: str = "pk"):
    """Exists(...) for a case queryset: the case has evidence confirmed as a re-upload of an earlier case's."""
    return Exists(HashMatch.objects.visible_to(user).reuploads().filter(evidence__case=OuterRef(case_ref)))


def as_data(view: MatchView, user) -> dict:
    """The API's shape of one match."""
    data = {
        "id": view.match.pk,
        "relation": view.relation,
        "evidence": view.other.pk if view.other is not None else None,
        "case": view.other_case.reference if view.other is not None else None,
        "distance": view.match.distance,
        "decision": view.match.decision,
        "source": None,
    }
    if view.relation == HASH_LIST and is_ministry(user):
        hash_list = view.hash_list
        data["source"] = {"list": hash_list.name, "source": hash_list.source, "labels": view.labels}
    return data
