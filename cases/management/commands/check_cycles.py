"""Check every case's submission cycles against its hash-chained events.

    python manage.py check_cycles [--case PTH-2026-000123]

For each case, the cycles are rebuilt from the events (`cases.cases.cycles.cycles_from_events`) and compared with
the stored ones, fact by fact; the rebuilt cycles must replay to the events and agree with the case row
(`cases.cases.cycles.check`). Exits 1 naming every case that disagrees.
"""

from django.core.management.base import BaseCommand, CommandError

from cases.cases import cycles as replay
from cases.models import Case, CaseEvent, SubmissionCycle

FACTS = ("number", "opened_at", "first_due_at", "due_at", "acknowledged_at", "actioned_at", "is_late", "overdue_at",
         "objected_at", "objection_pending", "outcome", "closed_at")
BATCH = 2000


def problems_of(cases) -> dict[str, list[str]]:
    """{reference: [what disagrees]} for the cases given (a queryset), batch by batch."""
    found: dict[str, list[str]] = {}
    facts = ("id", "reference", "submission_count", "deadline_hours", *replay.CASE_FACTS)
    rows = list(cases.filter(submission_count__gt=0).order_by("id").values(*facts))
    for i in range(0, len(rows), BATCH):
        batch = rows[i:i + BATCH]
        ids = [r["id"] for r in batch]
        events: dict[int, list] = {i: [] for i in ids}
        for e in (CaseEvent.objects.filter(case_id__in=ids, kind__in=replay.LIFECYCLE)
                  .order_by("case_id", "created_at", "id").values("case_id", "kind", "created_at", "data", "actor_id")):
            events[e["case_id"]].append(e)
        stored: dict[int, list] = {i: [] for i in ids}
        cycles = SubmissionCycle.objects.filter(case_id__in=ids).order_by("case_id", "number")
        for c in cycles.values("case_id", *FACTS):
            stored[c["case_id"]].append({f: c[f] for f in FACTS})
        for case in batch:
            made = replay.cycles_from_events(events[case["id"]], deadline_hours=case["deadline_hours"])
            issues = replay.check(case, events[case["id"]], made)
            if [{f: c[f] for f in FACTS} for c in made] != stored[case["id"]]:
                issues.append("the stored cycles differ from those the events give")
            if issues:
                found[case["reference"]] = issues
    return found


class Command(BaseCommand):
    help = "Check every case's submission cycles against its events (exit 1 naming the cases that disagree)."

    def add_arguments(self, parser):
        parser.add_argument("--case", help="Only this case (its reference).")

    def handle(self, *args, case=None, **options):
        cases = Case.objects.all()
        if case:
            cases = cases.filter(reference=case)
            if not cases.exists():
                raise CommandError(f"No case {case}.")
        found = problems_of(cases)
        checked = cases.filter(submission_count__gt=0).count()
        for reference, issues in found.items():
            self.stderr.write(f"{reference}: {'; '.join(issues)}")
        if found:
            raise CommandError(f"{len(found)} of {checked} cases disagree with their events.")
        self.stdout.write(self.style.SUCCESS(f"{checked} cases: every cycle agrees with the events."))
