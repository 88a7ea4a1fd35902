"""A reference implementation of docs/reports.md, written from the page alone: it replays the case events.

It reads nothing the reports read (no rollup, no cycle, no lifecycle column of the case): only each case's
platform, category and tier, and its events in order. Each SUBMITTED or REOPENED event opens a cycle whose
deadline is its opening plus the window the event records (`deadline_hours`); the clock rule of the page is
applied to objections here, independently of `cases.core.recorders.deadlines`; the deadline is missed when the
sweeper's OVERDUE event says so; an action is late when reported after the deadline in force or after a miss.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from cases.models import Case, CaseEvent

HOUR = timedelta(hours=1)
COUNTS = ("received", "orders", "acknowledged", "actioned", "on_time", "missed", "objection_pending", "objected",
          "withdrawn", "open", "overdue_now")


def day_of(moment: datetime) -> date:
    return timezone.localdate(moment)  # a Jakarta calendar day


@dataclass
class Cycle:
    platform: str
    category: str
    tier: str
    number: int
    opened: datetime
    hours: int
    rule: str
    due: datetime = None
    ack: datetime | None = None
    actioned: datetime | None = None
    late: bool = False
    missed_mark: bool = False
    overdue_day: date | None = None
    lodged: list = field(default_factory=list)  # every objection: (lodged at, in time)
    pending: bool = False
    ended: str = ""  # verified, reopened, withdrawn, upheld

    def verdict(self) -> str | None:
        if self.actioned is not None:
            return "missed" if self.late else "met"
        if self.missed_mark:
            return "missed"
        if self.pending:
            return "pending" if self.lodged[-1][1] else "missed"
        return None


def replay(cases=None) -> list[Cycle]:
    """Every cycle of every case (or of `cases`), from the events alone."""
    cases = Case.objects.all() if cases is None else cases
    meta = {c.pk: (c.platform.slug, c.category, c.tier) for c in cases.select_related("platform")}
    by_case = defaultdict(list)
    for event in CaseEvent.objects.filter(case_id__in=meta).order_by("created_at", "id"):
        by_case[event.case_id].append(event)
    cycles = []
    for case_id, events in by_case.items():
        current = None
        for e in events:
            at, data = e.created_at, e.data
            if e.kind in ("submitted", "reopened"):
                if current is not None:
                    current.ended = "reopened"
                current = Cycle(*meta[case_id], number=(current.number + 1) if current else 1, opened=at,
                                hours=data["deadline_hours"], rule=data.get("objection_rule", "resume"))
                current.due = at + data["deadline_hours"] * HOUR
                cycles.append(current)
            elif current is None:
                continue
            elif e.kind == "acknowledged":
                current.ack = at
            elif e.kind == "overdue":
                current.missed_mark, current.overdue_day = True, day_of(current.due)
            elif e.kind == "action_reported":
                current.actioned, current.late = at, at > current.due or current.missed_mark
            elif e.kind == "objected":
                current.lodged.append((at, at <= current.due))
                current.pending = True
            elif e.kind == "objection_rejected":
                lodged, in_time = current.lodged[-1]
                if in_time:  # the clock resumes: the time that was left (at least an hour), or a fresh window
                    left = max(current.due - lodged, HOUR)
                    current.due = at + (current.hours * HOUR if current.rule == "fresh" else left)
                current.pending = False
            elif e.kind == "objection_upheld":
                current.pending, current.ended = False, "upheld"
            elif e.kind == "withdrawn":
                current.pending, current.ended = False, "withdrawn"
            elif e.kind == "verified":
                current.ended = "verified"
    return cycles


def minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def percentile_cont(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(value):
    return None if value is None else round(value / 60, 4)


def _in(day: date, first: date | None, last: date | None) -> bool:
    return (first is None or day >= first) and (last is None or day <= last)


def figures(cycles: list[Cycle], first: date | None, last: date | None) -> dict:
    """The counts, share and percentiles of docs/reports.md over `cycles` for the days [first, last]."""
    orders = [c for c in cycles if _in(day_of(c.opened), first, last)]
    verdicts = [c.verdict() for c in orders]
    out = {
        "received": sum(c.number == 1 for c in orders),
        "orders": len(orders),
        "acknowledged": sum(c.ack is not None for c in orders),
        "actioned": sum(c.actioned is not None for c in orders),
        "on_time": verdicts.count("met"),
        "missed": verdicts.count("missed"),
        "objection_pending": verdicts.count("pending"),
        "objected": sum(_in(day_of(at), first, last) for c in cycles for at, _in_time in c.lodged),
        "withdrawn": sum(c.ended in ("withdrawn", "upheld") for c in orders),
        "open": sum(not c.ended for c in orders),
        "overdue_now": sum(c.missed_mark and c.actioned is None and not c.ended and not c.pending for c in orders),
    }
    decided = out["on_time"] + out["missed"]
    out["on_time_share"] = round(out["on_time"] / decided, 4) if decided else None
    for name, end in (("ack", "ack"), ("action", "actioned")):
        values = [minutes(c.opened, getattr(c, end)) for c in orders if getattr(c, end) is not None]
        for label, fraction in (("median", 0.5), ("p90", 0.9)):
            out[f"{name}_{label}_hours"] = _hours(percentile_cont(values, fraction))
    return out


def compliance(cycles: list[Cycle], first: date | None, last: date | None) -> dict:
    """The compliance report's shape: per platform (with categories) and in total; groups with nothing to count
    in the period are left out."""
    def counted(group):
        f = figures(group, first, last)
        return f if any(f[k] for k in COUNTS) else None

    platforms = []
    for slug in sorted({c.platform for c in cycles}):
        mine = [c for c in cycles if c.platform == slug]
        categories = []
        for category in sorted({c.category for c in mine}):
            f = counted([c for c in mine if c.category == category])
            if f:
                categories.append({"category": category, **f})
        if categories:
            platforms.append({"platform": slug, **figures(mine, first, last), "categories": categories})
    total = figures(cycles, first, last)
    if not platforms:
        total = {**total, **{k: None for k in total if k.endswith("_hours")}}
    return {"platforms": platforms, "total": total}


def daily(cycles: list[Cycle], platforms: list[str], first: date, last: date) -> list[dict]:
    """Per platform per day, zeros included (docs/reports.md, "The daily series")."""
    counts = defaultdict(lambda: dict.fromkeys(("received", "orders", "objected", "actioned", "overdue", "late"), 0))
    for c in cycles:
        counts[(c.platform, day_of(c.opened))]["orders"] += 1
        counts[(c.platform, day_of(c.opened))]["received"] += c.number == 1
        for at, _in_time in c.lodged:
            counts[(c.platform, day_of(at))]["objected"] += 1
        if c.actioned is not None:
            counts[(c.platform, day_of(c.actioned))]["actioned"] += 1
            counts[(c.platform, day_of(c.actioned))]["late"] += c.late
        if c.overdue_day is not None:
            counts[(c.platform, c.overdue_day)]["overdue"] += 1
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [{"day": d, "platform": slug, **counts[(slug, d)]} for slug in platforms for d in days]
