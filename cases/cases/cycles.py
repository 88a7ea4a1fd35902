"""Submission cycles from the hash-chained events, and the check that they replay to the same events.

The events hold every cycle's facts: each SUBMITTED or REOPENED event opens a cycle (its data carries the
deadline), ACKNOWLEDGED, ACTION_REPORTED, OBJECTED, OBJECTION_REJECTED, OVERDUE and the closing events fill
it in. `cycles_from_events` rebuilds them; `check` confirms that the rebuilt cycles, turned back into events,
give the case's own lifecycle events, and that the last cycle agrees with the case row. The migration that
introduced cycles (0013) and `manage.py check_cycles` use both.

Pure functions over plain values (dicts), so a migration can call them with its historical models.
"""

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

# Cycles rebuilt from events written before cycles existed had rejected objections start a fresh window
# (the rule of that code); their cycles record it.
LEGACY_RULE = "fresh"
LIFECYCLE = ("submitted", "acknowledged", "action_reported", "objected", "objection_rejected", "objection_upheld",
             "verified", "reopened", "withdrawn", "overdue")
CASE_FACTS = ("due_at", "overdue_at", "is_late", "acknowledged_at", "actioned_at")


def _time(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(value)


def _open(number: int, at: datetime, data: dict, actor_id, default_hours: int | None) -> dict:
    hours = data.get("deadline_hours") or default_hours or 24
    due = _time(data.get("due_at")) or at + timedelta(hours=hours)
    return {
        "number": number, "opened_at": at, "opened_by_id": actor_id, "deadline_hours": hours,
        "deadline_source": data.get("deadline_source") or "", "objection_rule": data.get("objection_rule") or
        LEGACY_RULE, "first_due_at": due, "due_at": due, "acknowledged_at": None, "actioned_at": None,
        "action_taken": "", "action_taken_at": None, "is_late": False, "overdue_at": None, "objected_at": None,
        "objection_pending": False, "objections": [], "outcome": "", "closed_at": None,
    }


def _decide(cycle: dict, at: datetime, outcome: str, **extra) -> None:
    if cycle["objection_pending"]:
        cycle["objection_pending"] = False
        cycle["objections"][-1] = {**cycle["objections"][-1], "decided_at": at.isoformat(), "outcome": outcome,
                                   **extra}


def cycles_from_events(events, *, deadline_hours: int | None = None) -> list[dict]:
    """The cycles of one case from its events [{kind, created_at, data, actor_id}], oldest first."""
    cycles: list[dict] = []
    for event in events:
        kind, at, data = event["kind"], _time(event["created_at"]), event.get("data") or {}
        if kind == "submitted":
            cycles.append(_open(1, at, data, event.get("actor_id"), deadline_hours))
            continue
        if not cycles:
            continue
        cycle = cycles[-1]
        if kind == "acknowledged":
            cycle["acknowledged_at"] = at
        elif kind == "overdue":
            cycle["overdue_at"] = _time(data.get("due_at")) or cycle["due_at"]
        elif kind == "action_reported":
            late = data.get("late")
            cycle.update(actioned_at=at, action_taken=data.get("action_taken") or "",
                         action_taken_at=_time(data.get("action_taken_at")),
                         is_late=bool(late) if late is not None else bool(at > cycle["due_at"] or cycle["overdue_at"]))
        elif kind == "objected":
            minutes = int((cycle["due_at"] - at).total_seconds() // 60)
            cycle["objections"].append({"lodged_at": at.isoformat(), "reason": data.get("reason") or "",
                                        "minutes_left": minutes, "in_time": at <= cycle["due_at"]})
            cycle.update(objected_at=at, objection_pending=True)
        elif kind == "objection_rejected":
            due = _time(data.get("due_at")) or at + timedelta(hours=cycle["deadline_hours"])
            _decide(cycle, at, "rejected", resumed=data.get("resumed") or "fresh", due_at=due.isoformat())
            cycle["due_at"] = due
        elif kind == "objection_upheld":
            _decide(cycle, at, "upheld")
            cycle.update(outcome="upheld", closed_at=at)
        elif kind == "withdrawn":
            _decide(cycle, at, "withdrawn")
            cycle.update(outcome="withdrawn", closed_at=at)
        elif kind == "verified":
            cycle.update(outcome="verified", closed_at=at)
        elif kind == "reopened":
            cycle.update(outcome="reopened", closed_at=at)
            cycles.append(_open(cycle["number"] + 1, at, data, event.get("actor_id"), deadline_hours))
    return cycles


def events_from_cycles(cycles: list[dict]) -> list[tuple[str, datetime | None]]:
    """The lifecycle events the cycles say happened, as (kind, time), in order; the time of an OVERDUE event
    is not a fact of the cycle (the sweeper notices a missed deadline a little after it), so it is None."""
    out: list[tuple[str, datetime | None]] = []
    for cycle in cycles:
        steps = [("submitted" if cycle["number"] == 1 else "reopened", cycle["opened_at"])]
        if cycle["acknowledged_at"]:
            steps.append(("acknowledged", cycle["acknowledged_at"]))
        for objection in cycle["objections"]:
            steps.append(("objected", _time(objection["lodged_at"])))
            outcome = objection.get("outcome")
            if outcome in ("rejected", "upheld"):
                steps.append((f"objection_{outcome}", _time(objection["decided_at"])))
        if cycle["actioned_at"]:
            steps.append(("action_reported", cycle["actioned_at"]))
        if cycle["outcome"] in ("verified", "withdrawn"):
            steps.append((cycle["outcome"], cycle["closed_at"]))
        steps.sort(key=lambda step: step[1])
        if cycle["overdue_at"]:
            steps.append(("overdue", None))
        out.extend(steps)
    return out


def check(case: dict, events, cycles: list[dict]) -> list[str]:
    """What does not agree between a case row, its events and the cycles rebuilt from them ([] if all does)."""
    problems = []
    lifecycle = [(e["kind"], _time(e["created_at"])) for e in events if e["kind"] in LIFECYCLE]
    replayed = events_from_cycles(cycles)
    def without_overdue_times(steps):
        return sorted(((k, t) for k, t in steps if k != "overdue"), key=lambda s: (s[1], s[0]))

    if without_overdue_times(lifecycle) != without_overdue_times(replayed) or \
            sum(k == "overdue" for k, _t in lifecycle) != sum(k == "overdue" for k, _t in replayed):
        problems.append("the cycles do not replay to the case's events")
    if len(cycles) != case["submission_count"]:
        problems.append(f"{len(cycles)} cycles for {case['submission_count']} submissions")
    if cycles:
        last = cycles[-1]
        for name in CASE_FACTS:
            if last[name] != case[name]:
                problems.append(f"the last cycle's {name} is {last[name]}, the case's {case[name]}")
    return problems
