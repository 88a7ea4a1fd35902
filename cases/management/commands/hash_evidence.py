"""PDQ-hash every evidence item that has not been hashed yet, and match it.

Uploads are hashed right after they commit; this command catches up with everything else (evidence stored
before re-upload matching existed, an upload whose hashing failed, a worker that was down). It is resumable:
an item counts as done once it has its hash rows, so stopping it (Ctrl-C) and running it again continues where it
stopped. A missing or altered file is reported and left for the next run; the command then exits 1.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from tqdm import tqdm

from cases.evidence.services.hashing import HashingError, hash_evidence
from cases.models import Case, Evidence, ImageHash

BATCH = 500


class Command(BaseCommand):
    help = "PDQ-hash evidence not hashed yet and match it against stored hashes (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--case", metavar="REFERENCE", help="Only the evidence of this case (PTH-...).")
        parser.add_argument("--no-progress", action="store_true", help="Never show the progress bar.")

    def handle(self, *args, case=None, no_progress=False, verbosity=1, **options):
        pending = Evidence.objects.filter(~Exists(ImageHash.objects.filter(evidence=OuterRef("pk"))))
        if case:
            if not Case.objects.filter(reference=case).exists():
                raise CommandError(_("No case with the reference %(ref)s.") % {"ref": case})
            pending = pending.filter(case__reference=case)
        bar = tqdm(total=pending.count(), unit=_("items"), desc=_("Hashing evidence"), file=self.stdout._out,
                   disable=no_progress or not self.stdout.isatty(), leave=False)
        items = images = found = 0
        failed: list[tuple[int, str]] = []
        after = 0
        with bar:
            while True:
                batch = list(pending.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:BATCH])
                if not batch:
                    break
                for pk in batch:
                    try:
                        outcome = hash_evidence(pk)
                    except HashingError as err:
                        failed.append((pk, str(err)))
                    except Exception as err:  # noqa: BLE001 - one bad item must not stop the backlog
                        failed.append((pk, f"{type(err).__name__}: {err}"))
                    else:
                        if outcome is not None and outcome.created:
                            items += 1
                            images += sum(1 for h in outcome.hashes if h.pdq)
                            found += len(outcome.matches)
                    bar.update(1)
                after = batch[-1]
        for pk, message in failed:
            line = _("FAILED  evidence %(id)s: %(message)s") % {"id": pk, "message": message}
            self.stdout.write(self.style.ERROR(line))
        summary = _("Hashed %(items)d evidence items (%(images)d images); %(found)d possible re-uploads found; "
                    "%(failed)d failed.") % {"items": items, "images": images, "found": found, "failed": len(failed)}
        if failed:
            self.stdout.write(summary)
            raise CommandError(_("%(n)d evidence items could not be hashed; run the command again once their files "
                                 "are back (verify_evidence tells more).") % {"n": len(failed)}, returncode=1)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(summary))
