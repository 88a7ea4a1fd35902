"""Export the ministry's PDQ hash list, or import a partner's (the same services as the console's pages).

    python manage.py hash_list export --as USER [--collab Patuh] [--output FILE]
    python manage.py hash_list import FILE --as USER --name NAME --source SOURCE [--labels "a b"]

The file format is described in cases/evidence/services/hashlists.py (ThreatExchange/HMA CSV with PDQ's quality).
"""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.evidence.services import hashlists


class Command(BaseCommand):
    help = "Export our PDQ hash list, or import a partner's."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the hashes of confirmed illegal content as CSV.")
        export.add_argument("--as", dest="username", required=True, help="The analyst or supervisor exporting.")
        export.add_argument("--collab", default="Patuh", help="The list's name as partners will see it.")
        export.add_argument("--output", help="File to write (default: standard output).")
        imported = sub.add_parser("import", help="Import a partner's list.")
        imported.add_argument("file")
        imported.add_argument("--as", dest="username", required=True, help="The analyst or supervisor importing.")
        imported.add_argument("--name", required=True)
        imported.add_argument("--source", required=True, help="Who shared the list.")
        imported.add_argument("--labels", default="")
        imported.add_argument("--description", default="")

    def handle(self, *args, action, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(name)s.") % {"name": username})
        try:
            if action == "export":
                self._export(user, options["collab"], options.get("output"))
            else:
                self._import(user, options)
        except PermissionDenied as err:
            raise CommandError(str(err)) from err
        except ValidationError as err:
            raise CommandError("\n".join(err.messages)) from err

    def _export(self, user, collab, output):
        lines = hashlists.export_csv_lines(actor=user, collab=collab)
        count = -1
        out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        try:
            for line in lines:
                out.write(line)
                count += 1
        finally:
            if output:
                out.close()
        if output:
            self.stdout.write(_("Wrote %(n)d hashes to %(file)s.") % {"n": count, "file": output})

    def _import(self, user, options):
        try:
            handle = open(options["file"], "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": options["file"], "error": err}) from err
        with handle:
            hash_list, skipped = hashlists.import_list(
                actor=user, lines=hashlists.decode_upload(handle), name=options["name"], source=options["source"],
                labels=options["labels"], description=options["description"], original_name=options["file"])
        self.stdout.write(_("Imported %(n)d hashes into “%(name)s” (from %(source)s).") % {
            "n": hash_list.entry_count, "name": hash_list.name, "source": hash_list.source})
        if skipped:
            self.stdout.write(_("%(n)d rows of other signal types were skipped.") % {"n": skipped})
