"""The re-check job (see cases/core/jobs.py). Safe to run twice: re-checks are claimed before they are run."""

from django_tasks import task


@task()
def run_rechecks() -> int:
    """Run due re-checks within the limits for up to 50 seconds; returns how many ran."""
    from cases.evidence.services.rechecks import run_due

    return run_due()
