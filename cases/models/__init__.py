from cases.accounts.models.accounts import UserSession
from cases.api.models.api import ApiToken, IdempotencyKey
from cases.api.models.webhooks import (
    DeliveryStatus,
    ServiceRecord,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from cases.cases.models.cases import Case, CaseQuerySet, ReferenceCounter
from cases.cases.models.cycles import SubmissionCycle
from cases.cases.models.events import CaseEvent
from cases.cases.models.notifications import Notification
from cases.cases.models.platforms import Platform, PlatformMembership
from cases.cases.models.policies import DeadlineOverride, DeadlinePolicy, FineFactorValue, FinePolicy
from cases.commitments.models.meetings import Commitment, CommitmentEvent, CommitmentUpdate, Meeting
from cases.evidence.models.evidence import CustodyEvent, Evidence
from cases.evidence.models.hashes import HashList, HashMatch, ImageHash, MatchDecision
from cases.evidence.models.integrity import IntegrityCheck
from cases.evidence.models.rechecks import (
    FlagStatus,
    Recheck,
    RecheckHost,
    RecheckReason,
    RecheckStatus,
    StillLiveFlag,
    Verdict,
)
from cases.reporting.models.published import PublishedReport
from cases.reporting.models.rollups import (
    CaseRollup,
    DurationHistogram,
    DurationRollup,
    HistogramWindow,
    OpenRollup,
    RollupQuerySet,
    WindowHistogram,
)
from cases.sanctions.models.letters import Letter, LetterKind, LetterLanguage, LetterSeries, LetterTemplate
from cases.sanctions.models.sanctions import Sanction, SanctionCase, SanctionEvent

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
