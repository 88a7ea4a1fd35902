"""Re-hash every produced letter's stored PDF against the SHA-256 recorded when it was produced.

    python manage.py verify_letters

Run it from cron next to verify_evidence: a missing or altered letter is named by its number and id, and the
command exits 1. (Every download re-verifies its letter too, cases/sanctions/services/letters.py.)
"""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from cases.models import Letter


class Command(BaseCommand):
    help = "Re-hash every produced letter's PDF; exit 1 naming any that is missing or altered."

    def handle(self, *args, **options):
        checked, problems = 0, []
        for letter in Letter.objects.exclude(sha256="").order_by("id").iterator(chunk_size=500):
            checked += 1
            try:
                with letter.file.open("rb") as handle:
                    digest = hashlib.sha256()
                    for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                        digest.update(chunk)
            except (FileNotFoundError, OSError):
                problems.append(f"{letter.number} ({letter.language}, id {letter.pk}): the stored file is missing")
                continue
            if digest.hexdigest() != letter.sha256:
                problems.append(f"{letter.number} ({letter.language}, id {letter.pk}): stored file hashes to "
                                f"{digest.hexdigest()}, recorded {letter.sha256}")
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} of {checked} letter(s) missing or altered; see above.", returncode=1)
        self.stdout.write(f"{checked} letter(s): every stored PDF matches its recorded SHA-256.")
