"""Walk the audit chains (case, custody, sanction and commitment events) and fail on the first broken link.

    python manage.py verify_audit

Exit status 0 when every link holds, 1 naming the first broken one. The head of each chain (count, last
id, last hash) is printed so it can be recorded elsewhere: comparing heads is how a removal of the very
last rows would show (see cases/audit.py).
"""

from django.core.management.base import BaseCommand, CommandError

from cases import audit
from cases.models import CaseEvent, CommitmentEvent, CustodyEvent, SanctionEvent

MODELS = {audit.CASE_EVENTS: CaseEvent, audit.CUSTODY_EVENTS: CustodyEvent, audit.SANCTION_EVENTS: SanctionEvent,
          audit.COMMITMENT_EVENTS: CommitmentEvent}


class Command(BaseCommand):
    help = ("Verify the hash chains of the case, custody, sanction and commitment events; exit 1 naming the first "
            "broken link.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=20_000, help="Rows read per query (default 20000).")

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            raise CommandError("--batch must be positive.")
        broken = []
        for chain, model in MODELS.items():
            head, problem = audit.verify(chain, model, batch=batch)
            if problem is None:
                self.stdout.write(f"{chain.label}: {head.count} rows, every link holds; "
                                  f"head id {head.last_id}, hash {head.last_hash}")
            else:
                self.stderr.write(str(problem))
                broken.append(problem)
        if broken:
            raise CommandError(f"The audit trail is broken ({len(broken)} chain(s)); see above.", returncode=1)
        self.stdout.write(self.style.SUCCESS("The audit trail is intact."))
