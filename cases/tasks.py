"""Patuh's background jobs (see cases/jobs.py). Each one is safe to run twice."""

from django_tasks import task


@task(queue_name="webhooks")
def deliver_webhooks(endpoint_id: int) -> int:
    """Send the endpoint's due deliveries; returns how many attempts were made."""
    from cases.services.deliveries import deliver_due

    return deliver_due(endpoint_id)
