"""Background jobs: Django's Tasks framework (the `django-tasks` backport of `django.tasks`) on its database
backend (`django-tasks-db`).

Why this queue: jobs are rows in Patuh's own database, so the embedded SQLite default needs nothing more, and on
PostgreSQL any number of workers on any number of machines share the queue (`SELECT ... FOR UPDATE SKIP LOCKED`).
It is the API Django itself ships from 6.0, so moving to Django 6 changes an import, not the jobs. Celery
needs a broker (Redis or RabbitMQ) even on a laptop; Procrastinate needs PostgreSQL, not SQLite.

Writing a job (any module; the queue stores the job's import path, so keep it stable):

    from django_tasks import task

    @task()
    def render_letter(letter_id: int) -> None:
        ...  # safe to run twice: a worker that dies mid-job gets the job run again

and queueing it from a service, inside the transaction that made the work necessary:

    from cases.core.jobs import enqueue_after_commit
    enqueue_after_commit(render_letter, letter.pk)

Arguments must be JSON (ids, strings, numbers). Run workers with `python manage.py worker` (`make worker`).
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_after_commit(task, *args, run_after: datetime | None = None, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` for a worker; it runs only if, and after, the current transaction commits.

    On the database backend the job row is written inside the caller's transaction: it commits with the work
    or not at all, and no worker can see it before the commit. On any other backend (the immediate one in
    tests) the job is queued by `transaction.on_commit`. Outside a transaction, it is queued at once.

    `run_after`: not before this time (retries). A backend that cannot defer (the immediate one) drops such a
    job: whatever schedules retries must also be found by a periodic sweep (webhooks are: the sweeper).
    """
    from django_tasks_db.backend import DatabaseBackend

    backend = task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return
        task = task.using(run_after=run_after)
    if isinstance(backend, DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)


def recover_lost_jobs(now: datetime | None = None) -> int:
    """Queue again the jobs still marked running PATUH_JOB_TIMEOUT_MINUTES after they started: their worker died
    (killed, out of memory, machine gone) and django-tasks-db would leave them running for ever."""
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PATUH_JOB_TIMEOUT_MINUTES)
    count = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff).update(
        status=TaskResultStatus.READY, started_at=None)
    if count:
        log.warning("requeued %d job(s) whose worker stopped while running them", count)
    return count
