"""Re-hash every stored evidence file and record the result in each item's chain of custody.

Run it from cron (nightly is plenty): a missing or altered file is reported by case reference and
evidence id, and the command exits 1 so the scheduler raises the alarm.

`--orphans` looks the other way: bytes with no evidence row (an upload a killed worker never finished, in
EVIDENCE_ROOT/.incoming, or a stored file whose row was never committed), older than `--older-than` hours (24).
It lists them and exits 1; with `--delete` it removes them, each removal written to the log (patuh.evidence).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils.translation import gettext as _
from tqdm import tqdm

from cases.core import clock
from cases.core.choices import CustodyKind
from cases.evidence.services import integrity
from cases.evidence.services.evidence import ORPHAN_SAFE_AGE, find_orphans, remove_orphan, verify_stored_files
from cases.models import Case, Evidence, IntegrityCheck


class Command(BaseCommand):
    help = "Re-hash stored evidence files, record each verification, and exit 1 if any is missing or altered."

    def add_arguments(self, parser):
        parser.add_argument("--case", metavar="REFERENCE", help="Only verify the evidence of this case (PTH-...).")
        parser.add_argument("--no-progress", action="store_true", help="Never show the progress bar.")
        parser.add_argument("--orphans", action="store_true",
                            help="Instead: list files no evidence row references (exit 1 if there are any).")
        parser.add_argument("--delete", action="store_true", help="With --orphans: remove them (each is logged).")
        parser.add_argument("--older-than", type=float, metavar="HOURS",
                            default=ORPHAN_SAFE_AGE.total_seconds() / 3600,
                            help="With --orphans: only files older than this (default 24; uploads in progress "
                                 "are younger).")

    def handle(self, *args, case=None, no_progress=False, verbosity=1, **options):
        if options["orphans"]:
            return self.orphans(delete=options["delete"], older_than=options["older_than"])
        if options["delete"]:
            raise CommandError(_("--delete only goes with --orphans."))
        evidence = Evidence.objects.select_related("case").order_by("file", "id")
        if case:
            if not Case.objects.filter(reference=case).exists():
                raise CommandError(_("No case with the reference %(ref)s.") % {"ref": case})
            evidence = evidence.filter(case__reference=case)
        sizes = list(evidence.order_by().values("file").annotate(size=Max("size")).values_list("size", flat=True))
        files, total_bytes = len(sizes), sum(sizes)
        bar = tqdm(
            total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, desc=_("Verifying evidence"),
            disable=no_progress or not self.stdout.isatty(), file=self.stdout._out, leave=False,
        )
        started = clock.now()
        counts = {kind: 0 for kind in (CustodyKind.VERIFIED, CustodyKind.MISMATCH, CustodyKind.MISSING)}
        problems = []
        with bar:
            for item, result in verify_stored_files(evidence.iterator(chunk_size=500), progress=bar.update):
                counts[result.kind] += 1
                if not result.ok:
                    problems.append((item, result))
        if not case:  # a whole-archive run is recorded for the console's integrity page
            check = IntegrityCheck(source=IntegrityCheck.Source.COMMAND, started_at=started)
            integrity.record_evidence(check, counts, problems)
            check.finished_at = clock.now()
            check.save()

        for item, result in problems:
            if result.kind == CustodyKind.MISSING:
                line = _("MISSING   %(ref)s  evidence %(id)s  file %(file)s")
            else:
                line = _("MISMATCH  %(ref)s  evidence %(id)s  file %(file)s  expected %(expected)s, found %(actual)s")
            self.stdout.write(self.style.ERROR(line % {
                "ref": item.case.reference, "id": item.pk, "file": item.file.name,
                "expected": f"{result.expected_sha256} ({result.expected_size} B)",
                "actual": f"{result.actual_sha256} ({result.actual_size} B)",
            }))
        summary = _(
            "Checked %(files)d stored files for %(items)d evidence items: %(ok)d intact, %(mismatch)d altered, "
            "%(missing)d missing."
        ) % {
            "files": files, "items": sum(counts.values()), "ok": counts[CustodyKind.VERIFIED],
            "mismatch": counts[CustodyKind.MISMATCH], "missing": counts[CustodyKind.MISSING],
        }
        if problems:
            self.stdout.write(summary)
            raise CommandError(
                _("%(n)d evidence items failed verification (cases: %(refs)s).")
                % {"n": len(problems), "refs": ", ".join(sorted({item.case.reference for item, _r in problems}))},
                returncode=1,
            )
        if verbosity:
            self.stdout.write(self.style.SUCCESS(summary))

    def orphans(self, *, delete: bool, older_than: float):
        if older_than < 0:
            raise CommandError(_("--older-than must be 0 or more hours."))
        found = find_orphans(older_than=timedelta(hours=older_than))
        for orphan in found:
            if delete:
                remove_orphan(orphan)
            line = _("REMOVED   %(name)s  %(kind)s  %(size)d bytes  %(modified)s") if delete else \
                _("ORPHAN    %(name)s  %(kind)s  %(size)d bytes  %(modified)s")
            self.stdout.write(line % {"name": orphan.name, "kind": orphan.kind, "size": orphan.size,
                                      "modified": orphan.modified.isoformat(timespec="seconds")})
        summary = _("%(n)d files with no evidence row, older than %(hours)s hours (%(bytes)d bytes).") % {
            "n": len(found), "hours": f"{older_than:g}", "bytes": sum(o.size for o in found)}
        if found and not delete:
            self.stdout.write(summary)
            raise CommandError(_("Remove them with --orphans --delete."), returncode=1)
        self.stdout.write(summary)
