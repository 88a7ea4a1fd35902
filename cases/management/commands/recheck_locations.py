"""`python manage.py recheck_locations [--case REF]`: re-check reported locations now.

With `--case`: fetch that case's location from every vantage point at once and print each verdict. Without:
plan what is missing and run every re-check that is due, within the rate limits and the concurrency cap
(the deadline sweeper plans and queues the same work every minute; this is for an operator, or cron without a
worker).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.evidence.services import rechecks
from cases.models import Case


class Command(BaseCommand):
    help = "Re-check reported locations: one case now (--case REF), or every re-check that is due."

    def add_arguments(self, parser):
        parser.add_argument("--case", metavar="REF", help="Re-check this case now, from every vantage point.")
        parser.add_argument("--time-budget", type=float, default=600.0,
                            help="Stop after this many seconds (default 600); what is left stays due.")
        parser.add_argument("--limit", type=int, default=None, help="Run at most this many re-checks.")

    def handle(self, *args, case=None, time_budget=600.0, limit=None, **options):
        counts: dict[str, int] = {}

        def say(recheck):
            counts[recheck.verdict or recheck.status] = counts.get(recheck.verdict or recheck.status, 0) + 1
            when = timezone.localtime(recheck.checked_at).strftime("%Y-%m-%d %H:%M:%S") if recheck.checked_at else "-"
            self.stdout.write(f"{recheck.case.reference} {recheck.slot} {recheck.vantage}: "
                              f"{recheck.verdict or recheck.status} ({when}) {recheck.finding}")

        if case:
            target = Case.objects.select_related("platform").filter(reference=case.strip().upper()).first()
            if target is None:
                raise CommandError(f"No case {case.strip().upper()}.")
            try:
                rechecks.request_recheck(target, actor=None, queue=False)
            except ValidationError as err:
                raise CommandError("; ".join(err.messages)) from err
            ran = rechecks.run_due(time_budget=time_budget, limit=limit, case_id=target.pk, on_result=say)
        else:
            report = rechecks.plan()
            if report.planned or report.cancelled:
                self.stdout.write(f"planned {report.planned}, cancelled {report.cancelled}")
            ran = rechecks.run_due(time_budget=time_budget, limit=limit, on_result=say)
        summary = ", ".join(f"{n} {word}" for word, n in sorted(counts.items())) or "nothing was due"
        self.stdout.write(self.style.SUCCESS(f"ran {ran} re-check(s): {summary}"))
