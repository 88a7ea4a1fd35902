from django.core.management.base import BaseCommand

from cases.cases.services.sweeper import sweep


class Command(BaseCommand):
    help = (
        "Mark newly overdue cases, propose the next sanction step, queue deadline notices and send the outbox. "
        "Run every minute (cron or a systemd timer); safe to run twice or concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be done; change nothing.")
        parser.add_argument("--no-send", action="store_true", help="Queue notices but do not send the outbox.")

    def handle(self, *args, dry_run=False, no_send=False, **options):
        report = sweep(dry_run=dry_run, deliver=not no_send)
        if dry_run:
            self.stdout.write(f"Would mark {len(report.overdue)} case(s) overdue: {', '.join(report.overdue) or '-'}")
            self.stdout.write(f"Would queue deadline-approaching notices for {report.due_soon_queued} case(s).")
            self.stdout.write(f"Would send {report.would_send} queued notification(s).")
            return
        for ref in report.overdue:
            self.stdout.write(f"overdue: {ref} (sanction proposal #{report.proposals[ref]})")
        if report.commitments_overdue:
            self.stdout.write(f"{len(report.commitments_overdue)} commitment(s) past their due date marked overdue.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.overdue)} newly overdue, {report.due_soon_queued} deadline notice(s) queued, "
                f"{report.sent} sent, {report.failed} failed."
            )
        )
        hook = report.webhooks
        if hook is not None and (hook.requeued_endpoints or hook.recovered_jobs or hook.fallbacks):
            self.stdout.write(
                f"webhooks: {hook.requeued_endpoints} endpoint(s) with stalled deliveries requeued, "
                f"{hook.recovered_jobs} lost job(s) requeued, urgent orders fallen back to e-mail: "
                f"{', '.join(hook.fallbacks) or '-'}"
            )
        if report.failed:
            self.stderr.write("Some notifications failed; they stay queued and are retried on the next run.")
