"""The ministry's work queues ("My work", issue 13): what waits on the ministry, oldest first, with its age.

Each queue is a filter over what this user may see (`visible_to`, the one scoping rule), the moment its wait
began, and the roles that can act on it. The console page (`cases.cases.admin.work`) shows the queues a role acts
on; the dashboard's figures link to the same lists. Assignment goes through `services.cases.assign_case`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Case as CaseWhen
from django.db.models import F, Q, When
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.choices import CaseStatus, SanctionStatus
from cases.core.roles import ADMINISTRATOR, ANALYST, SUPERVISOR, roles_of
from cases.models import Case, Sanction
from cases.reporting.reports import DeadlineState, deadline_state_q, humanize_delta

OPERATORS = frozenset({ANALYST, SUPERVISOR, ADMINISTRATOR})  # workflow.MINISTRY_OPERATORS
DECIDERS = frozenset({SUPERVISOR, ADMINISTRATOR})  # workflow.DECIDERS


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    acting_roles: frozenset  # who can act on a row: the page shows the queue to them, and offers them as assignees
    since_field: str  # when the wait began
    list_query: str  # the console case list (or sanction list) showing the same rows


QUEUES = (
    Queue("verify", _("Actions awaiting verification"), OPERATORS, "actioned_at", "status=actioned"),
    Queue("objections", _("Objections awaiting a decision"), DECIDERS, "objected_at", "status=objected"),
    Queue("sanctions", _("Sanction proposals awaiting issue"), DECIDERS, "proposed_at", "status=proposed"),
    Queue("drafts", _("Drafts not yet submitted"), OPERATORS, "created_at", "status=draft"),
    Queue("due_soon", _("Due within the hour"), OPERATORS, "submitted_at", "deadline_state=due_soon"),
)
BY_KEY = {q.key: q for q in QUEUES}


def queue_rows(queue: Queue, user, *, mine: bool):
    """The rows of `queue` this user may see, oldest first. `mine`: assigned to this user or to nobody
    (drafts: created by or assigned to this user)."""
    if queue.key == "sanctions":
        return Sanction.objects.visible_to(user).filter(status=SanctionStatus.PROPOSED).select_related(
            "platform", "proposed_by").order_by("proposed_at", "id")
    cases = Case.objects.visible_to(user).select_related("platform", "assigned_to")
    if queue.key == "verify":
        cases = cases.filter(status=CaseStatus.ACTIONED)
    elif queue.key == "objections":
        cases = cases.filter(status=CaseStatus.OBJECTED)
    elif queue.key == "drafts":
        cases = cases.filter(status=CaseStatus.DRAFT)
    elif queue.key == "due_soon":
        cases = cases.filter(deadline_state_q(DeadlineState.DUE_SOON))
    if mine:
        if queue.key == "drafts":
            cases = cases.filter(Q(created_by=user) | Q(assigned_to=user))
        else:
            cases = cases.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    return cases.order_by(queue.since_field, "id")


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long a row has waited, in the deadline columns' compact form ('3 h 20 min')."""
    if since is None:
        return "—"
    return humanize_delta((now or clock.now()) - since)


def queues_for(user) -> list[Queue]:
    """The queues a role acts on; an auditor (acts on none) reads them all."""
    roles = roles_of(user)
    if not roles & OPERATORS:
        return list(QUEUES)
    return [q for q in QUEUES if roles & q.acting_roles]


def assignees(queue: Queue):
    """Who a row of `queue` may be assigned to: active people who can act on it (no auditors, no liaisons)."""
    return by_name(get_user_model().objects.filter(is_active=True, groups__name__in=queue.acting_roles).distinct())


def by_name(users):
    """People in the order their names read: by first name, or by username for those without one."""
    sort_name = CaseWhen(When(first_name="", then=F("username")), default=F("first_name"))
    return users.annotate(sort_name=Lower(sort_name)).order_by("sort_name", "last_name", "username")


def person(user) -> str:
    """A person as the consoles name them: full name and username ("Siti Rahma (srahma)"), or the username."""
    if user is None:
        return ""
    full = user.get_full_name().strip()
    return f"{full} ({user.username})" if full else user.username

