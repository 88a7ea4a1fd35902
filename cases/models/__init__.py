from cases.models.accounts import UserSession
from cases.models.api import ApiToken, IdempotencyKey
from cases.models.cases import Case, CaseQuerySet, ReferenceCounter
from cases.models.cycles import SubmissionCycle
from cases.models.events import CaseEvent
from cases.models.evidence import CustodyEvent, Evidence
from cases.models.hashes import HashList, HashMatch, ImageHash, MatchDecision
from cases.models.integrity import IntegrityCheck
from cases.models.letters import Letter, LetterKind, LetterLanguage, LetterSeries, LetterTemplate
from cases.models.meetings import Commitment, CommitmentEvent, CommitmentUpdate, Meeting
from cases.models.notifications import Notification
from cases.models.platforms import Platform, PlatformMembership
from cases.models.policies import DeadlineOverride, DeadlinePolicy, FineFactorValue, FinePolicy
from cases.models.published import PublishedReport
from cases.models.rechecks import (
    FlagStatus,
    Recheck,
    RecheckHost,
    RecheckReason,
    RecheckStatus,
    StillLiveFlag,
    Verdict,
)
from cases.models.rollups import (
    CaseRollup,
    DurationHistogram,
    DurationRollup,
    HistogramWindow,
    OpenRollup,
    RollupQuerySet,
    WindowHistogram,
)
from cases.models.sanctions import Sanction, SanctionCase, SanctionEvent
from cases.models.webhooks import (
    DeliveryStatus,
    ServiceRecord,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

__all__ = [
    "IntegrityCheck",
    "ApiToken",
    "Case",
    "CaseEvent",
    "CaseQuerySet",
    "CaseRollup",
    "OpenRollup",
    "Commitment",
    "CommitmentEvent",
    "CommitmentUpdate",
    "CustodyEvent",
    "DeadlineOverride",
    "DeadlinePolicy",
    "DurationHistogram",
    "DurationRollup",
    "Evidence",
    "FlagStatus",
    "FineFactorValue",
    "FinePolicy",
    "HashList",
    "HashMatch",
    "HistogramWindow",
    "IdempotencyKey",
    "ImageHash",
    "MatchDecision",
    "Letter",
    "LetterKind",
    "LetterLanguage",
    "LetterSeries",
    "LetterTemplate",
    "Meeting",
    "Notification",
    "Platform",
    "PlatformMembership",
    "Recheck",
    "RecheckHost",
    "RecheckReason",
    "RecheckStatus",
    "PublishedReport",
    "ReferenceCounter",
    "RollupQuerySet",
    "Sanction",
    "SanctionCase",
    "SanctionEvent",
    "ServiceRecord",
    "StillLiveFlag",
    "UserSession",
    "Verdict",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEventType",
    "DeliveryStatus",
    "SubmissionCycle",
    "UserSession",
    "WindowHistogram",
]
