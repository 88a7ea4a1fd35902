import time

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from cases.core.recorders.rollups import rebuild_rollups


class Command(BaseCommand):
    help = (
        "Recompute the report rollups from the cases table (set-based). Run it after loading cases outside "
        "the services (generate_load, a restore); the services keep the rollups up to date otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, database=DEFAULT_DB_ALIAS, **options):
        started = time.monotonic()
        summary = rebuild_rollups(using=database)
        self.stdout.write(self.style.SUCCESS(
            f"Rebuilt the report rollups from {summary.cases:,} submitted cases: {summary.case_rows:,} daily rows "
            f"and {summary.duration_rows:,} duration buckets in {time.monotonic() - started:.1f} s."
        ))
