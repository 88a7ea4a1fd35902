"""Webhooks: subscriptions, redelivery, and proof of service; emitting is the outbox's (`cases.core.recorders.outbox`).

Who may manage a platform's endpoints: its liaisons, and administrators. Everyone who may see the platform
(the ministry, its liaisons) may read its endpoints and deliveries; liaisons and ministry writers may ask for a
redelivery.

`emit()` queues one delivery row per subscribed endpoint, inside the caller's transaction (the notification
outbox's pattern: keyed, so a second call queues nothing twice), and asks the job queue to send them once the
transaction commits. Timeline events reach it through `on_case_event`, called by the one writer of timeline
entries (`cases.core.recorders.events.record_event`); bulk submissions through `emit_cases_submitted`; sanctions
and letters call `emit()` themselves with their own event type.
"""

import logging
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.core import clock
from cases.core.choices import CaseStatus
from cases.core.outbound import Refused, check_url
from cases.core.recorders.outbox import (  # noqa: F401 - emit, emit_sanction_issued: where lifecycles used to find them
    EVENT_TYPES,
    emit,
    emit_sanction_issued,
    wake,
)
from cases.core.roles import ADMINISTRATOR, LIAISON, MINISTRY_WRITERS, has_role, is_ministry, liaison_platform_ids
from cases.models import (
    Case,
    DeliveryStatus,
    ServiceRecord,
    WebhookDelivery,
    WebhookEndpoint,
)

# Who added, changed or re-keyed an endpoint: where a platform's orders go is security-relevant. Ids and field
# names only: a URL may carry the receiver's own token in its query string, and a secret is never logged.
security_log = logging.getLogger("patuh.security")

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret

# --- who may --------------------------------------------------------------------------------------------------


def may_manage(user, platform_id: int) -> bool:
    """A platform's liaisons and administrators manage its endpoints."""
    if has_role(user, ADMINISTRATOR):
        return True
    return has_role(user, LIAISON) and platform_id in liaison_platform_ids(user)


def may_redeliver(user, platform_id: int) -> bool:
    if is_ministry(user):
        return has_role(user, *MINISTRY_WRITERS)
    return platform_id in liaison_platform_ids(user)


def manageable_platform_ids(user) -> set[int] | None:
    """The platforms whose endpoints `user` may add: None means any (administrators)."""
    if has_role(user, ADMINISTRATOR):
        return None
    return set(liaison_platform_ids(user)) if has_role(user, LIAISON) else set()


# --- subscriptions --------------------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    import base64

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        check_url(url)
    except Refused as err:
        raise ValidationError({"url": str(err)}) from None
    return url


def clean_event_types(values) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    unknown = [v for v in values if v not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"event_types": _("Unknown event types: %(names)s. Known: %(known)s.") % {
            "names": ", ".join(str(v)[:40] for v in unknown[:5]), "known": ", ".join(EVENT_TYPES)}})
    return [t for t in EVENT_TYPES if t in values]  # one order, no repeats


def create_endpoint(*, actor, platform, url: str, event_types: Sequence[str], description: str = "",
                    is_active: bool = True) -> WebhookEndpoint:
    """A new endpoint. Its secret is on the returned object: show it once; it is never shown again."""
    if not may_manage(actor, platform.pk):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    now = clock.now()
    endpoint = WebhookEndpoint(
        platform=platform, url=clean_url(url), event_types=clean_event_types(event_types),
        description=(description or "").strip()[:200], is_active=is_active, secret=new_secret(),
        created_by=actor, created_at=now, updated_at=now,
    )
    endpoint.full_clean(exclude=["secret", "url"])
    endpoint.save()
    security_log.info("webhook endpoint %s added for platform %s by user %s", endpoint.pk, platform.pk, actor.pk)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, actor, **changes) -> WebhookEndpoint:
    """Change the URL, events, description or active flag. Re-activating a disabled endpoint clears its
    disabled state (the platform says it is fixed); deliveries cancelled meanwhile can be redelivered."""
    if not may_manage(actor, endpoint.platform_id):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    unknown = set(changes) - {"url", "event_types", "description", "is_active"}
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in sorted(unknown)})
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if "url" in changes:
            locked.url = clean_url(changes["url"])
        if "event_types" in changes:
            locked.event_types = clean_event_types(changes["event_types"])
        if "description" in changes:
            locked.description = (changes["description"] or "").strip()[:200]
        if "is_active" in changes:
            locked.is_active = bool(changes["is_active"])
            if locked.is_active and locked.disabled_at:
                locked.disabled_at, locked.disabled_reason, locked.failure_streak = None, "", 0
        locked.updated_at = clock.now()
        locked.full_clean(exclude=["secret", "url"])
        locked.save()
    security_log.info("webhook endpoint %s changed (%s) by user %s", locked.pk, ", ".join(sorted(changes)), actor.pk)
    return locked


def rotate_secret(endpoint: WebhookEndpoint, *, actor) -> WebhookEndpoint:
    """A new secret, shown once. The old one keeps signing too (a second signature in `webhook-signature`)
    for SECRET_OVERLAP_HOURS, so the receiver can switch without losing a delivery."""
    if not may_manage(actor, endpoint.platform_id):
        raise PermissionDenied(_("You cannot manage this platform's webhooks."))
    now = clock.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + timedelta(hours=settings.PATUH_WEBHOOKS["SECRET_OVERLAP_HOURS"])
        locked.secret = new_secret()
        locked.secret_rotated_at = locked.updated_at = now
        locked.save()
    security_log.info("webhook endpoint %s: secret rotated by user %s", locked.pk, actor.pk)
    return locked


# --- proof of service -----------------------------------------------------------------------------------------


def mark_opened(case: Case, user) -> None:
    """A liaison opened the case (console page or API): the order has been seen. Ministry views do not count."""
    if case.status != CaseStatus.SUBMITTED or is_ministry(user) or not getattr(user, "is_authenticated", False):
        return
    ServiceRecord.objects.filter(case=case, cycle=case.submission_count, opened_at__isnull=True).update(
        opened_at=clock.now(), opened_by=user)


def redeliver(delivery: WebhookDelivery, *, actor) -> WebhookDelivery:
    """Send a delivery again now, with the same webhook-id (the receiver may have lost it, or was down)."""
    if not may_redeliver(actor, delivery.platform_id):
        raise PermissionDenied(_("You cannot redeliver this platform's webhooks."))
    endpoint = delivery.endpoint
    if endpoint.disabled_at is not None or not endpoint.is_active:
        raise ValidationError(_("The endpoint %(url)s is paused or disabled: activate it first, then redeliver.")
                              % {"url": endpoint.url})
    now = clock.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None, claim_token="",
            redelivery_requested_by=actor)
        wake(delivery.endpoint_id, 1)
    delivery.refresh_from_db()
    return delivery
