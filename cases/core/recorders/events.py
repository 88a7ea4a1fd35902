"""The one writer of case timeline entries."""

from django.db import transaction

from cases.core import audit, clock
from cases.core.choices import Visibility
from cases.models import Case, CaseEvent

SYSTEM_NAME = "Patuh"


def actor_name(user) -> str:
    if user is None:
        return SYSTEM_NAME
    return user.get_full_name() or user.get_username()


def record_event(
    case: Case,
    kind: str,
    *,
    actor,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    visibility: str = Visibility.SHARED,
    data: dict | None = None,
) -> CaseEvent:
    """Append one event. Call inside the transaction that made the change it records.

    What the platform may see of it is announced to the platform's webhooks in the same transaction.
    """
    from cases.core.recorders.outbox import on_case_event

    with transaction.atomic():
        event = audit.create(
            CaseEvent,
            case=case,
            kind=kind,
            actor=actor,
            actor_name=actor_name(actor),
            from_status=from_status,
            to_status=to_status,
            note=note,
            visibility=visibility,
            created_at=clock.now(),
            data=data or {},
        )
        on_case_event(event)
    return event

