"""Choice classes: one constant per value, labels marked for translation."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    TERRORISM = "terrorism", _("Terrorism / radicalism")
    CSAM = "csam", _("Child sexual abuse material")
    PUBLIC_ORDER = "public_order", _("Public order disturbance")
    PORNOGRAPHY = "pornography", _("Pornography")
    GAMBLING = "gambling", _("Online gambling")
    HOAX = "hoax", _("Hoax / disinformation")
    HATE_SPEECH = "hate_speech", _("Hate speech")
    SARA = "sara", _("SARA incitement")
    DRUGS = "drugs", _("Drugs")
    FRAUD = "fraud", _("Fraud, scam or illegal financial activity")
    ILLEGAL_PRODUCTS = "illegal_products", _("Illegal food, drugs or cosmetics")
    PRIVACY = "privacy", _("Privacy violation")
    OTHER = "other", _("Other")


class Tier(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    STANDARD = "standard", _("Standard")


# MR5 Art. 14: these categories are urgent by default (4 hours); everything else is standard (24 hours).
DEFAULT_TIER = {c: (Tier.URGENT if c in {Category.TERRORISM, Category.CSAM, Category.PUBLIC_ORDER}
                    else Tier.STANDARD) for c in Category}
DEFAULT_TIER_HOURS = {Tier.URGENT: 4, Tier.STANDARD: 24}


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACTIONED = "actioned", _("Actioned")
    OBJECTED = "objected", _("Objected")
    VERIFIED = "verified", _("Verified")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATUSES = (CaseStatus.VERIFIED, CaseStatus.WITHDRAWN)
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in CLOSED_STATUSES)
# The clock runs in these states: the platform owes an action.
AWAITING_ACTION_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED)
# A liaison never sees a draft.
PLATFORM_VISIBLE_STATUSES = tuple(s for s in CaseStatus if s != CaseStatus.DRAFT)


class RequestedAction(models.TextChoices):
    REMOVE = "remove", _("Remove the content")
    GEO_BLOCK = "geo_block", _("Block access in Indonesia (geo-block)")
    SUSPEND_ACCOUNT = "suspend_account", _("Suspend the account or channel")
    RESTRICT = "restrict", _("Restrict the content")


class ActionTaken(models.TextChoices):
    REMOVED = "removed", _("Removed")
    GEO_BLOCKED = "geo_blocked", _("Geo-blocked in Indonesia")
    ACCOUNT_SUSPENDED = "account_suspended", _("Account or channel suspended")
    RESTRICTED = "restricted", _("Restricted")
    ALREADY_GONE = "already_gone", _("Content already gone")


class Source(models.TextChoices):
    CRAWLER = "crawler", _("AIS crawler / patrol")
    PUBLIC_COMPLAINT = "public_complaint", _("Public complaint (aduankonten.id)")
    AGENCY_REFERRAL = "agency_referral", _("Agency referral")
    TRUSTED_FLAGGER = "trusted_flagger", _("Trusted flagger")
    MINISTRY = "ministry", _("Ministry staff")


class ObjectionReason(models.TextChoices):
    LAWFUL = "lawful", _("The content is lawful")
    NOT_FOUND = "not_found", _("The location cannot be found")
    NOT_OURS = "not_ours", _("Not hosted on this platform")
    INSUFFICIENT_BASIS = "insufficient_basis", _("Legal basis or reasons insufficient")
    DISPROPORTIONATE = "disproportionate", _("The requested action is disproportionate")
    TECHNICALLY_IMPOSSIBLE = "technically_impossible", _("Technically impossible as requested")
    OTHER = "other", _("Other")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (ministry only)")
    SHARED = "shared", _("Shared with the platform")


class EvidenceKind(models.TextChoices):
    SCREENSHOT = "screenshot", _("Screenshot")
    PAGE_ARCHIVE = "page_archive", _("Page archive")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    PLATFORM_RESPONSE = "platform_response", _("Platform response")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted to the platform")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACTION_REPORTED = "action_reported", _("Action reported")
    OBJECTED = "objected", _("Objection filed")
    OBJECTION_UPHELD = "objection_upheld", _("Objection upheld")
    OBJECTION_REJECTED = "objection_rejected", _("Objection rejected")
    VERIFIED = "verified", _("Verified")
    REOPENED = "reopened", _("Reopened")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OVERDUE = "overdue", _("Became overdue")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    EVIDENCE_WITHDRAWN = "evidence_withdrawn", _("Evidence withdrawn")
    SANCTION = "sanction", _("Sanction")
    MATCH_FOUND = "match_found", _("Possible re-upload found")
    MATCH_CONFIRMED = "match_confirmed", _("Re-upload confirmed")
    MATCH_DISMISSED = "match_dismissed", _("Possible re-upload dismissed")
    DELIVERED = "delivered", _("Delivered to the platform's system")
    RECHECKED = "rechecked", _("Re-checked by Patuh")
    RECHECK_FLAGGED = "recheck_flagged", _("Reported removed, still live: reopen proposed")
    RECHECK_FLAG_DISMISSED = "recheck_dismissed", _("Still-live flag dismissed")
    LETTER_ISSUED = "letter_issued", _("Letter produced")
    LETTER_DOWNLOADED = "letter_downloaded", _("Letter downloaded")


class CustodyKind(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    LINKED = "linked", _("Linked to an identical earlier upload")
    DOWNLOADED = "downloaded", _("Downloaded")
    VERIFIED = "verified", _("Integrity verified")
    MISMATCH = "mismatch", _("Integrity check failed")
    MISSING = "missing", _("File missing")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    PREVIEWED = "previewed", _("Viewed in a re-upload review")


class PlatformKind(models.TextChoices):
    MESSAGING = "messaging", _("Messaging")
    SOCIAL_MEDIA = "social_media", _("Social media")
    VIDEO_SHARING = "video_sharing", _("Video sharing")
    SEARCH = "search", _("Search engine")
    MARKETPLACE = "marketplace", _("Marketplace")
    OTHER = "other", _("Other")


class BusinessScale(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")
    VERY_LARGE = "very_large", _("Very large")


class SanctionLevel(models.IntegerChoices):
    """The SAMAN ladder, in order: each overdue case earns the next rung."""

    WARNING_1 = 1, _("Warning letter 1 (ST1)")
    WARNING_2 = 2, _("Warning letter 2 (ST2)")
    WARNING_3 = 3, _("Warning letter 3 (ST3)")
    FINE = 4, _("Administrative fine")
    ACCESS_BLOCK = 5, _("Access blocking")


class SanctionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ISSUED = "issued", _("Issued")
    COMPLIED = "complied", _("Complied / paid")
    LIFTED = "lifted", _("Lifted")
    WITHDRAWN = "withdrawn", _("Withdrawn (proposal dropped)")


class SanctionAction(models.TextChoices):
    """The steps of a sanction's lifecycle (cases.sanctions.services.sanctions.TRANSITIONS); each writes one event."""

    PROPOSE = "propose", _("Proposed")
    CITE = "cite", _("Case cited")
    ISSUE = "issue", _("Issued")
    COMPLY = "comply", _("Marked complied / paid")
    LIFT = "lift", _("Lifted")
    WITHDRAW = "withdraw", _("Proposal withdrawn")
    LETTER = "letter", _("Letter produced")
    LETTER_DOWNLOADED = "letter_downloaded", _("Letter downloaded")


class PlatformStanding(models.TextChoices):
    """Follows from a platform's issued sanctions; never set by hand."""

    ACTIVE = "active", _("Active")
    WARNED = "warned", _("Warned")
    SANCTIONED = "sanctioned", _("Sanctioned")
    BLOCKED = "blocked", _("Blocked")


class CommitmentKind(models.TextChoices):
    DIRECT_LINE = "direct_line", _("Direct line to the ministry")
    LOCAL_MODERATORS = "local_moderators", _("Moderators who speak Indonesian")
    TAKEDOWN_SPEED = "takedown_speed", _("Takedown within a deadline")
    GEO_BLOCKING = "geo_blocking", _("Geo-blocking")
    LOCAL_TEAM = "local_team", _("Local content team")
    TRUSTED_FLAGGERS = "trusted_flaggers", _("Trusted-flagger training")
    PRIORITY_HANDLING = "priority_handling", _("Priority handling of reports")
    AUTOMATION = "automation", _("Automated detection")
    FOCAL_POINT = "focal_point", _("Focal point")
    OTHER = "other", _("Other")


class CommitmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    FULFILLED = "fulfilled", _("Fulfilled")
    OVERDUE = "overdue", _("Overdue")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CommitmentAction(models.TextChoices):
    """The steps of a commitment's lifecycle (cases.commitments.services.commitments.TRANSITIONS); each writes one
    event."""

    OPEN = "open", _("Recorded")
    EDIT = "edit", _("Edited")
    PROGRESS = "progress", _("Progress reported")
    START = "start", _("Started")
    FULFIL = "fulfil", _("Fulfilled")
    MARK_OVERDUE = "mark_overdue", _("Became overdue")
    WITHDRAW = "withdraw", _("Withdrawn")
    REOPEN = "reopen", _("Reopened")


class CommitmentOwner(models.TextChoices):
    PLATFORM = "platform", _("The platform")
    MINISTRY = "ministry", _("The ministry")


class MembershipRole(models.TextChoices):
    LIAISON = "liaison", _("Liaison")
    LEAD = "lead", _("Lead liaison")


class NotificationKind(models.TextChoices):
    CASE_SUBMITTED = "case_submitted", _("New case submitted")
    DUE_SOON = "due_soon", _("Deadline approaching")
    OVERDUE = "overdue", _("Case overdue")
    SANCTION_PROPOSED = "sanction_proposed", _("Sanction proposed")
    UNDELIVERED = "undelivered", _("Urgent order not yet seen")


class FineFactor(models.TextChoices):
    CONTENT = "content", _("Content (category)")
    PLATFORM_TYPE = "platform_type", _("Platform type")
    BUSINESS_SCALE = "business_scale", _("Business scale")
    WARNING_LEVEL = "warning_level", _("Warning level reached")
    HISTORY = "history", _("Compliance history (earlier fines)")
    VIRALITY = "virality", _("Virality")


class Virality(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ObjectionRule(models.TextChoices):
    """What a rejected objection does to the clock (a deadline policy's choice, recorded on each cycle)."""

    RESUME = "resume", _("Resume with the time that was left (at least 1 hour)")
    FRESH = "fresh", _("A fresh window")


class CycleOutcome(models.TextChoices):
    """How a submission cycle ended; empty while it runs."""

    VERIFIED = "verified", _("Verified")
    REOPENED = "reopened", _("Reopened: the action did not work")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UPHELD = "upheld", _("Withdrawn on objection")


# A rejected objection lodged in time resumes the clock with the time that was left, but never less than this.
MIN_RESUMED_MINUTES = 60
