"""Patuh's background jobs (see cases/core/jobs.py). Each one is safe to run twice."""

from django_tasks import task


@task(queue_name="webhooks")
def deliver_webhooks(endpoint_id: int) -> int:
    """Send the endpoint's due deliveries; returns how many attempts were made."""
    from cases.api.services.deliveries import deliver_due

    return deliver_due(endpoint_id)


@task()
def hash_evidence_image(evidence_id: int) -> bool:
    """PDQ-hash one evidence item and match it (issue 18); nothing if it was hashed before. True if it is hashed."""
    from cases.evidence.services.hashing import hash_quietly

    return hash_quietly(evidence_id) is not None


@task()
def render_letter(letter_id: int) -> bool:
    """Produce one letter's PDF (issue 15); nothing if it was produced before. True when it is produced."""
    from cases.sanctions.services.letters import produce

    return bool(produce(letter_id).sha256)


@task()
def render_letters(letter_ids: list[int]) -> int:
    """Produce a batch of letters (a bulk submission's orders); each is skipped if produced before."""
    from cases.sanctions.services.letters import produce

    return sum(bool(produce(pk).sha256) for pk in letter_ids)


@task()
def run_integrity_check(check_id: int) -> bool:
    """Walk the audit chains and re-hash the stored evidence for one recorded check (the integrity page)."""
    from cases.evidence.services.integrity import run_check

    check = run_check(check_id)
    return bool(check and check.audit_ok and check.evidence_ok)
