import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cases import demo


class Command(BaseCommand):
    help = ("Migrate, create the roles, load the demo data and demo logins, and serve at http://127.0.0.1:8000 "
            "with a background worker and the deadline sweeper (every minute) beside the server.")

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database only; do not serve.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")
        parser.add_argument("--cases", type=int, default=300, help="How many recent demo cases (default 300).")
        parser.add_argument("--sweep-every", type=float, default=60.0,
                            help="Seconds between deadline sweeps while serving (default 60).")

    def handle(self, *args, no_serve=False, addrport="127.0.0.1:8000", cases=300, sweep_every=60.0, **options):
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
        self.stdout.write(f"  with a background worker and the deadline sweeper every {sweep_every:g} s beside it.")
        self.stdout.flush()
        raise SystemExit(Supervisor(addrport, sweep_every=sweep_every, out=self.stdout).run())


class Supervisor:
    """The development server, one worker and a sweeper every minute, started and stopped together.

    If the server stops, everything stops. A worker that dies is started again. Ctrl-C or SIGTERM stops all
    three: each child gets SIGTERM and up to 10 s to finish what it is doing.
    """

    def __init__(self, addrport: str, *, sweep_every: float, out):
        manage = str(settings.BASE_DIR / "manage.py")
        self.commands = {
            "server": [sys.executable, manage, "runserver", addrport, "--noreload"],
            "worker": [sys.executable, manage, "worker"],
        }
        self.sweep_command = [sys.executable, manage, "sweep_deadlines"]
        self.sweep_every = sweep_every
        self.out = out
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def start(self, name: str) -> None:
        self.children[name] = subprocess.Popen(self.commands[name], env=os.environ.copy())  # noqa: S603 - our argv

    def sweep_loop(self) -> None:
        while not self.stopping.is_set():
            sweep = subprocess.Popen(self.sweep_command, env=os.environ.copy(), stdout=subprocess.PIPE,  # noqa: S603
                                     stderr=subprocess.STDOUT, text=True)
            self.children["sweeper"] = sweep
            output, _ = sweep.communicate()
            quiet = output.strip() == "0 newly overdue, 0 deadline notice(s) queued, 0 sent, 0 failed."
            if output.strip() and not quiet and not self.stopping.is_set():
                self.out.write("[sweeper] " + output.strip().replace("\n", "\n[sweeper] "))
                self.out.flush()
            self.stopping.wait(self.sweep_every)

    def stop(self, signum=None, frame=None) -> None:
        self.stopping.set()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start("server")
            self.start("worker")
            threading.Thread(target=self.sweep_loop, daemon=True, name="sweeper").start()
            code = 0
            while not self.stopping.is_set():
                server = self.children["server"].poll()
                if server is not None:
                    code = server
                    break
                if self.children["worker"].poll() is not None:
                    self.out.write("The worker stopped; starting it again.")
                    self.out.flush()
                    self.start("worker")
                self.stopping.wait(0.5)
            return code
        finally:
            self.stopping.set()
            self.terminate_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def terminate_all(self) -> None:
        alive = [p for p in self.children.values() if p.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in alive:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
