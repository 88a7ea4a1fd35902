"""Integrity checks: walk the audit chains and re-hash the stored evidence, and record what was found.

One function each for the two halves, shared by the commands (verify_audit, verify_evidence) and the console's
integrity page, whose "Start a check" queues `run_check` as a background job.
"""

from django.db import transaction

from cases.core import audit, clock
from cases.core.choices import CustodyKind
from cases.models import CaseEvent, CommitmentEvent, CustodyEvent, Evidence, IntegrityCheck, SanctionEvent

CHAINS = {audit.CASE_EVENTS: CaseEvent, audit.CUSTODY_EVENTS: CustodyEvent, audit.SANCTION_EVENTS: SanctionEvent,
          audit.COMMITMENT_EVENTS: CommitmentEvent}


def check_audit(check: IntegrityCheck, *, batch: int = 20_000) -> list:
    """Walk every chain into `check`; returns the breaks found (empty when every link holds)."""
    heads, problems = [], []
    for chain, model in CHAINS.items():
        head, problem = audit.verify(chain, model, batch=batch)
        heads.append({"chain": str(chain.label), "count": head.count, "last_id": head.last_id,
                      "last_hash": head.last_hash})
        if problem is not None:
            problems.append(problem)
    check.audit_heads, check.audit_ok = heads, not problems
    check.audit_problem = "\n".join(str(p) for p in problems)
    return problems


def check_evidence(check: IntegrityCheck, results) -> None:
    """Record the results of `verify_stored_files` ((item, result) pairs, streamed) into `check`."""
    counts = {CustodyKind.VERIFIED.value: 0, CustodyKind.MISMATCH.value: 0, CustodyKind.MISSING.value: 0}
    problems = []
    for item, result in results:
        counts[str(result.kind)] = counts.get(str(result.kind), 0) + 1
        if not result.ok:
            problems.append((item, result))
    record_evidence(check, counts, problems)


def record_evidence(check: IntegrityCheck, counts: dict, problems) -> None:
    """`counts` by custody kind; `problems` the failed (item, result) pairs."""
    check.evidence_counts = {str(kind): n for kind, n in counts.items()}
    check.evidence_problems = [{"case": item.case.reference, "evidence": item.pk, "kind": str(result.kind)}
                               for item, result in problems]
    check.evidence_ok = not problems


def start_check(actor) -> IntegrityCheck:
    """Record a check started from the console and queue it (it may take minutes on a large archive)."""
    from cases.core.jobs import enqueue_after_commit
    from cases.tasks import run_integrity_check

    with transaction.atomic():
        check = IntegrityCheck.objects.create(source=IntegrityCheck.Source.CONSOLE, started_at=clock.now(),
                                              started_by=actor)
        enqueue_after_commit(run_integrity_check, check.pk)
    return check


def run_check(check_id: int) -> IntegrityCheck | None:
    """Both halves; safe to run twice (a finished check is left as it is)."""
    from cases.evidence.services.evidence import verify_stored_files

    check = IntegrityCheck.objects.filter(pk=check_id, finished_at__isnull=True).first()
    if check is None:
        return None
    check_audit(check)
    evidence = Evidence.objects.select_related("case").order_by("file", "id")
    check_evidence(check, verify_stored_files(evidence.iterator(chunk_size=500)))
    check.finished_at = clock.now()
    check.save()
    return check


def last_checks() -> dict:
    """The latest finished verification of each half, and any check still running."""
    finished = IntegrityCheck.objects.filter(finished_at__isnull=False).select_related("started_by")
    return {
        "audit": finished.filter(audit_ok__isnull=False).first(),
        "evidence": finished.filter(evidence_ok__isnull=False).first(),
        "running": IntegrityCheck.objects.filter(finished_at__isnull=True).select_related("started_by").first(),
        "history": list(IntegrityCheck.objects.select_related("started_by")[:10]),
    }
