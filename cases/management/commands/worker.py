"""`python manage.py worker`: run background jobs (webhook deliveries, and any job queued with
`cases.core.jobs.enqueue_after_commit`). Start one per core on each machine; they share the queue in the database.

It is django-tasks-db's `db_worker` with Patuh's defaults: every queue, a short poll interval (a delivery should
leave within a second of its commit), and no code reloading unless asked. SIGTERM or Ctrl-C finishes the job in
hand, then stops; a second one stops at once (the job is then run again later: jobs are safe to run twice).
"""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand


class Command(DBWorkerCommand):
    help = "Run background jobs (webhook deliveries and others) from the database queue. One per core."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", interval=0.2, reload=False)
