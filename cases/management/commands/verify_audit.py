"""Walk the audit chains (case, custody, sanction and commitment events) and fail on the first broken link.

    python manage.py verify_audit

Exit status 0 when every link holds, 1 naming the first broken one. The head of each chain (count, last
id, last hash) is printed so it can be recorded elsewhere: comparing heads is how a removal of the very
last rows would show (see cases/core/audit.py).
"""

from django.core.management.base import BaseCommand, CommandError

from cases.core import clock
from cases.evidence.services import integrity
from cases.models import IntegrityCheck


class Command(BaseCommand):
    help = ("Verify the hash chains of the case, custody, sanction and commitment events; exit 1 naming the first "
            "broken link.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=20_000, help="Rows read per query (default 20000).")

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            raise CommandError("--batch must be positive.")
        # The result is also recorded, for the console's integrity page (cases.evidence.services.integrity).
        check = IntegrityCheck(source=IntegrityCheck.Source.COMMAND, started_at=clock.now())
        broken = integrity.check_audit(check, batch=batch)
        check.finished_at = clock.now()
        check.save()
        failed = {str(problem.chain.label) for problem in broken}
        for head in check.audit_heads:
            if head["chain"] not in failed:
                self.stdout.write(f"{head['chain']}: {head['count']} rows, every link holds; "
                                  f"head id {head['last_id']}, hash {head['last_hash']}")
        for problem in broken:
            self.stderr.write(str(problem))
        if broken:
            raise CommandError(f"The audit trail is broken ({len(broken)} chain(s)); see above.", returncode=1)
        self.stdout.write(self.style.SUCCESS("The audit trail is intact."))
