import socket

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cases import demo


class Command(BaseCommand):
    help = "Migrate, create the roles, load the demo data and demo logins, and serve at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database only; do not serve.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
        parser.add_argument("--cases", type=int, default=300, help="How many recent demo cases (default 300).")

    def handle(self, *args, no_serve=False, addrport="127.0.0.1:8000", cases=300, **options):
        if not settings.DEBUG:
            raise CommandError(
                "quickstart creates demo users with published passwords, so it only runs with DJANGO_DEBUG=1. "
                "For production, run `manage.py migrate` and create users with `manage.py createsuperuser`."
            )
        if not no_serve:
            port_is_free(addrport)  # before minutes of loading, not after
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo (platforms, 2017 meetings and commitments, Telegram's history, cases)...")
        summary = demo.load(n_cases=cases)
        if summary.cases_created:
            self.stdout.write(f"  {summary.cases_created} demo cases created.")
        else:
            self.stdout.write(f"  The database already has {summary.cases_total} cases; no demo cases added.")
        self.stdout.write(f"  {summary.meetings} meetings, {summary.commitments} commitments.")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {demo.DEMO_PASSWORD})"))
        for user in summary.users:
            where = f"/platform/ (liaison of {user.platform_slug})" if user.platform_slug else "/admin/"
            self.stdout.write(f"  {user.username:<11} {user.role:<14} {where}")
        if no_serve:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Serving at http://{addrport}/ (Ctrl-C to stop)"))
        call_command("runserver", addrport, use_reloader=False)


def port_is_free(addrport: str) -> None:
    host, _, port = addrport.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host or "127.0.0.1", int(port)))
        except OSError:
            raise CommandError(
                f"{addrport} is already in use (another Patuh, or another server). Stop it, or pick another port: "
                f"DJANGO_DEBUG=1 .venv/bin/python manage.py quickstart --addrport 127.0.0.1:8001"
            ) from None
        except ValueError:
            raise CommandError(f"--addrport takes host:port, e.g. 127.0.0.1:8000, not {addrport!r}.") from None
