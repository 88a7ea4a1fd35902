"""Demo data drawn from the seed articles: the 2017 meetings, Telegram's history, and 90 days of cases.

Everything is created through the services with the clock set to when it happened, so the demo's
timeline, deadlines, overdue facts and sanction proposals are exactly what the real system would have
recorded. Loading twice duplicates nothing.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from cases.cases.services.cases import add_comment, create_case
from cases.cases.services.sweeper import mark_overdue
from cases.cases.workflow import transition
from cases.commitments.services import commitments as commitment_services
from cases.commitments.services.commitments import post_update
from cases.core import clock, roles
from cases.core.choices import (
    ActionTaken,
    BusinessScale,
    CaseStatus,
    Category,
    CommitmentKind,
    CommitmentOwner,
    CommitmentStatus,
    FineFactor,
    ObjectionReason,
    PlatformKind,
    RequestedAction,
    SanctionLevel,
    SanctionStatus,
    Source,
    Tier,
    Visibility,
)
from cases.demo.content import (
    COMMITMENTS,
    LEGAL_BASIS,
    MEETINGS,
    PLATFORMS,
    TELEGRAM_HISTORY,
)
from cases.demo.evidence import attach_demo_evidence
from cases.models import (
    Case,
    Commitment,
    DeadlineOverride,
    DeadlinePolicy,
    FineFactorValue,
    FinePolicy,
    Meeting,
    Notification,
    Platform,
    PlatformMembership,
    Sanction,
)
from cases.sanctions.services import sanctions as sanction_services

DEMO_PASSWORD = "patuh-demo-2026"  # noqa: S105 - printed by quickstart; quickstart refuses to run without DEBUG
JAKARTA = timezone.get_fixed_timezone(7 * 60)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    full_name: str
    platform_slug: str | None = None


DEMO_USERS = (
    DemoUser("analyst", roles.ANALYST, "Rina Analis"),
    DemoUser("supervisor", roles.SUPERVISOR, "Budi Supervisor"),
    DemoUser("admin", roles.ADMINISTRATOR, "Admin TI Kementerian"),
    DemoUser("auditor", roles.AUDITOR, "Inspektorat Jenderal"),
    DemoUser("telegram", roles.LIAISON, "Telegram Liaison", "telegram"),
    DemoUser("facebook", roles.LIAISON, "Facebook Liaison", "facebook"),
)


@dataclass
class DemoSummary:
    users: list[DemoUser]
    cases_created: int
    cases_total: int
    commitments: int
    meetings: int


def load(*, n_cases: int = 300, seed: int = 2017, stdout=None) -> DemoSummary:
    """Load the demo. Idempotent: reference data is matched by natural keys; cases load only into an empty table."""
    with transaction.atomic():
        roles.sync_role_groups()
        platforms = _platforms()
        users = _users(platforms)
        _policies(platforms)
        meetings = _meetings_and_commitments(platforms, users)
        created = 0
        if not Case.objects.exists():
            created += _telegram_history(platforms["telegram"], users)
            created += _recent_cases(platforms, users, n_cases=n_cases, rng=random.Random(seed))
            _decide_proposals(users)
            _commitment_updates(users)
            # The demo replays history: notices it queued belong to the past, so they are marked sent.
            Notification.objects.filter(sent_at__isnull=True).update(sent_at=clock.now())
    return DemoSummary(
        users=list(DEMO_USERS), cases_created=created, cases_total=Case.objects.count(),
        commitments=Commitment.objects.count(), meetings=len(meetings),
    )


# --- reference data ------------------------------------------------------------------------------------


def _platforms() -> dict[str, Platform]:
    out = {}
    for p in PLATFORMS:
        platform, _ = Platform.objects.get_or_create(
            slug=p["slug"],
            defaults={
                "name": p["name"], "kind": p["kind"], "business_scale": p["scale"], "website": p["website"],
                "hosts": p["hosts"], "contact_email": p["email"], "notes": p.get("notes", ""),
                "legal_name": p.get("legal_name", ""), "address": p.get("address", ""),
            },
        )
        out[p["slug"]] = platform
    return out


def _users(platforms) -> dict[str, object]:
    User = get_user_model()
    out = {}
    for spec in DEMO_USERS:
        first, _, last = spec.full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": first, "last_name": last, "email": f"{spec.username}@patuh.example",
                "is_staff": spec.role in roles.MINISTRY_ROLES, "is_superuser": spec.role == roles.ADMINISTRATOR,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=spec.role))
        if spec.platform_slug:
            PlatformMembership.objects.get_or_create(user=user, platform=platforms[spec.platform_slug],
                                                     defaults={"is_contact": True})
        out[spec.username] = user
    return out


def _policies(platforms) -> None:
    for category, basis in LEGAL_BASIS.items():
        DeadlinePolicy.objects.filter(category=category, legal_basis="").update(legal_basis=basis)
    DeadlineOverride.objects.get_or_create(
        platform=platforms["twitter"], category=Category.DRUGS, tier="", is_active=True,
        defaults={"hours": 12, "reason": "Demo: faster handling of drugs reports, committed in August 2017."},
    )
    policy, created = FinePolicy.objects.get_or_create(
        effective_from=date(2025, 1, 1),
        defaults={
            "name": "Demo fine policy (illustrative tariffs)", "points_cap": 500,
            "tariff_per_point": Decimal("1000000"), "legal_basis": "Demo values; set by decree in production.",
        },
    )
    if created:
        factors = {
            FineFactor.CONTENT: {Category.TERRORISM: "2.0", Category.CSAM: "2.0", Category.PUBLIC_ORDER: "1.5",
                                 Category.GAMBLING: "1.2", Category.PORNOGRAPHY: "1.2", Category.OTHER: "1.0"},
            FineFactor.PLATFORM_TYPE: {PlatformKind.MESSAGING: "1.0", PlatformKind.SOCIAL_MEDIA: "1.2",
                                       PlatformKind.VIDEO_SHARING: "1.2"},
            FineFactor.BUSINESS_SCALE: {BusinessScale.SMALL: "0.25", BusinessScale.MEDIUM: "0.5",
                                        BusinessScale.LARGE: "0.8", BusinessScale.VERY_LARGE: "1.0"},
            FineFactor.WARNING_LEVEL: {"0": "0.5", "1": "0.6", "2": "0.8", "3": "1.0"},
            FineFactor.HISTORY: {"0": "1.0", "1": "1.25", "2": "1.5"},
            FineFactor.VIRALITY: {"low": "0.5", "medium": "0.75", "high": "1.0"},
        }
        FineFactorValue.objects.bulk_create(
            FineFactorValue(policy=policy, factor=factor, key=key, value=Decimal(value))
            for factor, values in factors.items() for key, value in values.items()
        )


def _meetings_and_commitments(platforms, users) -> list[Meeting]:
    meetings = []
    for m in MEETINGS:
        meeting, created = Meeting.objects.get_or_create(
            title=m["title"], held_on=m["held_on"],
            defaults={k: m[k] for k in ("title_en", "ends_on", "place", "ministry_attendees",
                                        "platform_attendees", "minutes", "minutes_en")},
        )
        if created:
            meeting.platforms.set([platforms[s] for s in m["platforms"]])
        meetings.append(meeting)
    by_slug = {s: m for m in meetings for s in [*m.platforms.values_list("slug", flat=True)]}
    supervisor = users["supervisor"]
    for c in COMMITMENTS:
        if Commitment.objects.filter(platform=platforms[c["platform"]], text=c["text"]).exists():
            continue
        # Recorded, then started or fulfilled, through the commitments lifecycle (one audited step each).
        with _at(datetime(2017, 8, 4, 17, 0, tzinfo=JAKARTA)):
            commitment = commitment_services.open_commitment(
                actor=supervisor, platform=platforms[c["platform"]], meeting=by_slug.get(c["platform"]),
                text=c["text"], text_en=c["text_en"], kind=c["kind"], owner=c.get("owner", CommitmentOwner.PLATFORM),
                owner_name=c.get("owner_name", ""), measured_category=c.get("measured_category", ""),
                target_hours=c.get("target_hours"), source=c["source"],
            )
            status = c.get("status", CommitmentStatus.IN_PROGRESS)
            if status != CommitmentStatus.OPEN:
                commitment_services.transition(
                    commitment, commitment_services.STEP_FOR_STATUS[status], actor=supervisor,
                    note="Recorded at the meeting." if status == CommitmentStatus.IN_PROGRESS else
                    "Fulfilled, as recorded after the meeting.")
    return meetings


# --- cases --------------------------------------------------------------------------------------------


def _at(moment: datetime):
    return clock.frozen(moment)


def _telegram_history(telegram: Platform, users) -> int:
    """Six unanswered emails about terror channels (2016–17), the 14 July 2017 block, and what followed."""
    analyst, supervisor = users["analyst"], users["supervisor"]
    created = 0
    cases = []
    for item in TELEGRAM_HISTORY:
        sent = item["sent"]
        with _at(sent - timedelta(hours=2)):
            case = create_case(
                actor=analyst, platform=telegram, category=Category.TERRORISM, handle=item["handle"],
                native_id="", legal_basis=LEGAL_BASIS[Category.TERRORISM], reasons=item["reasons"],
                requested_action=RequestedAction.SUSPEND_ACCOUNT, source=Source.AGENCY_REFERRAL,
                source_detail="BNPT (counter-terrorism agency) referral",
            )
        with _at(sent):
            transition(case, "submit", actor=analyst, note=item["note"])
        with _at(case.due_at + timedelta(minutes=1)):
            mark_overdue(case.pk, clock.now())
        with _at(sent + timedelta(days=14)):
            add_comment(case, actor=analyst, visibility=Visibility.INTERNAL,
                        text="Pengingat dikirim lewat email; belum ada jawaban dari Telegram.")
        cases.append(case)
        created += 1
    # 14 July 2017: the ministry blocks 11 Telegram domains (web version).
    with _at(datetime(2017, 7, 14, 10, 0, tzinfo=JAKARTA)):
        # The sweeper's pending warning (citing the six cases) is overtaken by the blocking decision.
        pending = Sanction.objects.filter(platform=telegram, status=SanctionStatus.PROPOSED).first()
        if pending is not None and pending.level != SanctionLevel.ACCESS_BLOCK:
            sanction_services.withdraw_sanction(
                pending, actor=supervisor, reason="Overtaken by the decision to block access (14 July 2017).")
            pending = None
        if pending is None:
            pending = sanction_services.propose_sanction(
                platform=telegram, level=SanctionLevel.ACCESS_BLOCK, actor=supervisor,
                content_category=Category.TERRORISM,
                reason="Six requests about terror channels went unprocessed (2016–2017).",
                skip_reason="Terror content left up for a year despite six requests: the ministry goes straight to "
                            "blocking the web version.",
            )
        sanction_services.issue_sanction(
            pending, actor=supervisor, letter_reference="Pemutusan akses 11 DNS Telegram (14 Juli 2017)",
            note="Blocking of 11 Telegram domain names (web version); the app itself was not blocked.",
        )
    # 1 August 2017: Durov meets the minister; the channels are closed and the block is lifted on 10 August.
    for i, case in enumerate(cases):
        liaison = users["telegram"]
        with _at(datetime(2017, 8, 1, 14, 0, tzinfo=JAKARTA) + timedelta(minutes=10 * i)):
            transition(case, "acknowledge", actor=liaison, note="Received after the meeting with the minister.")
        with _at(datetime(2017, 8, 2, 9, 0, tzinfo=JAKARTA) + timedelta(minutes=15 * i)):
            transition(case, "report_action", actor=liaison, action_taken=ActionTaken.ACCOUNT_SUSPENDED,
                       action_taken_at=clock.now() - timedelta(hours=3), note="Channel closed.")
        with _at(datetime(2017, 8, 3, 10, 0, tzinfo=JAKARTA) + timedelta(minutes=5 * i)):
            transition(case, "verify", actor=analyst, note="Channel no longer reachable from Indonesia.")
    with _at(datetime(2017, 8, 10, 12, 0, tzinfo=JAKARTA)):
        sanction_services.lift_sanction(
            pending, actor=supervisor,
            reason="Telegram closed the reported channels and committed to an Indonesian-speaking moderation team.",
        )
    return created


# How each platform's cases are spread over categories (weights), and how fast it tends to act.
PLATFORM_PROFILE = {
    "telegram": ({Category.TERRORISM: 5, Category.PORNOGRAPHY: 4, Category.GAMBLING: 4, Category.DRUGS: 2,
                  Category.CSAM: 1, Category.FRAUD: 2}, 0.75),
    "facebook": ({Category.HOAX: 5, Category.HATE_SPEECH: 3, Category.SARA: 3, Category.FRAUD: 3,
                  Category.GAMBLING: 3, Category.ILLEGAL_PRODUCTS: 2, Category.PRIVACY: 1}, 0.9),
    "google": ({Category.HOAX: 4, Category.GAMBLING: 4, Category.TERRORISM: 1, Category.FRAUD: 2,
                Category.PUBLIC_ORDER: 1, Category.OTHER: 1}, 0.9),
    "twitter": ({Category.PORNOGRAPHY: 5, Category.GAMBLING: 3, Category.HATE_SPEECH: 2, Category.DRUGS: 2,
                 Category.SARA: 2, Category.TERRORISM: 1}, 0.8),
    "tiktok": ({Category.GAMBLING: 5, Category.HOAX: 3, Category.FRAUD: 3, Category.ILLEGAL_PRODUCTS: 2,
                Category.PUBLIC_ORDER: 1, Category.PRIVACY: 1}, 0.85),
}
PLATFORM_WEIGHTS = {"telegram": 3, "facebook": 4, "google": 3, "twitter": 3, "tiktok": 4}
OUTCOMES = [  # (final status, weight)
    (CaseStatus.VERIFIED, 52), (CaseStatus.ACTIONED, 10), (CaseStatus.ACKNOWLEDGED, 8),
    (CaseStatus.SUBMITTED, 8), (CaseStatus.OBJECTED, 5), (CaseStatus.WITHDRAWN, 9), (CaseStatus.DRAFT, 5),
    ("reopened", 3),
]
AGENCIES = {
    Category.TERRORISM: "BNPT (counter-terrorism agency)", Category.DRUGS: "BNN (narcotics agency)",
    Category.ILLEGAL_PRODUCTS: "BPOM (food and drug authority)", Category.FRAUD: "OJK (financial services authority)",
}
URL_SHAPES = {
    "telegram": "https://t.me/{handle}/{n}",
    "facebook": "https://www.facebook.com/{handle}/posts/{n}",
    "google": "https://www.youtube.com/watch?v={vid}",
    "twitter": "https://x.com/{handle}/status/{n}",
    "tiktok": "https://www.tiktok.com/@{handle}/video/{n}",
}
HANDLE_WORDS = ["info", "kabar", "viral", "berita", "promo", "slot", "gacor", "jp", "cuan", "obat", "sehat",
                "update", "rahasia", "fakta", "terkini", "nusantara", "merdeka", "jaya", "888", "77", "official"]
REASONS = {
    Category.TERRORISM: "Channel distributes propaganda and recruitment material of a proscribed terrorist group.",
    Category.CSAM: "Content sexually exploits a minor; referred for immediate removal and to the police.",
    Category.PUBLIC_ORDER: "Calls for a violent gathering that police assess as a threat to public order.",
    Category.PORNOGRAPHY: "Account publishes pornographic videos accessible without age restriction.",
    Category.GAMBLING: "Promotes an online gambling site with deposit instructions and referral codes.",
    Category.HOAX: "Spreads a fabricated claim, refuted by the ministry's hoax-clarification team.",
    Category.HATE_SPEECH: "Incites hatred against a group on the basis of identity.",
    Category.SARA: "Incites hostility between ethnic and religious groups ahead of a local election.",
    Category.DRUGS: "Offers narcotics for sale with delivery instructions.",
    Category.FRAUD: "Impersonates a bank to collect account credentials; unlicensed investment offer.",
    Category.ILLEGAL_PRODUCTS: "Sells unregistered slimming drugs and mercury-laced cosmetics.",
    Category.PRIVACY: "Publishes a private person's ID card and home address (doxing).",
    Category.OTHER: "Content violates Indonesian law; see the legal basis.",
}


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _recent_cases(platforms, users, *, n_cases: int, rng: random.Random) -> int:
    now = clock.now()
    analyst, supervisor = users["analyst"], users["supervisor"]
    liaison_for = {"telegram": users["telegram"], "facebook": users["facebook"]}
    helper_liaisons = {slug: _platform_helper_liaison(platforms[slug]) for slug in platforms
                       if slug not in liaison_for}
    liaison_for.update(helper_liaisons)
    starts = sorted(now - timedelta(days=90) * rng.random() for _ in range(n_cases))
    created = 0
    for start in starts:
        slug = _pick(rng, PLATFORM_WEIGHTS)
        category_weights, diligence = PLATFORM_PROFILE[slug]
        category = _pick(rng, category_weights)
        outcome = _pick(rng, dict(OUTCOMES))
        age = now - start
        # A working system closes most old cases: what is still open is mostly recent.
        stale = age > timedelta(days=3) and rng.random() < .75
        if outcome in (CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED) and stale:
            outcome = CaseStatus.VERIFIED
        if outcome == CaseStatus.ACTIONED and age > timedelta(days=5) and rng.random() < .6:
            outcome = CaseStatus.VERIFIED
        # The newest cases cannot have travelled far yet.
        if age < timedelta(hours=6) and outcome in (CaseStatus.VERIFIED, "reopened", CaseStatus.WITHDRAWN):
            outcome = CaseStatus.SUBMITTED
        source = rng.choices([Source.CRAWLER, Source.PUBLIC_COMPLAINT, Source.AGENCY_REFERRAL,
                              Source.TRUSTED_FLAGGER], weights=[55, 22, 15, 8])[0]
        if source == Source.AGENCY_REFERRAL and category not in AGENCIES:
            source = Source.CRAWLER
        handle = "_".join(rng.sample(HANDLE_WORDS, 2)) + str(rng.randint(1, 999))
        url = URL_SHAPES[slug].format(handle=handle, n=rng.randint(10**6, 10**9),
                                      vid="".join(rng.choices("abcdefghijkLMNOPQRSTUVWXYZ0123456789_-", k=11)))
        detail = {Source.CRAWLER: f"AIS patrol {start:%Y-%m-%d}", Source.PUBLIC_COMPLAINT:
                  f"aduankonten.id #{rng.randint(100000, 999999)}", Source.AGENCY_REFERRAL: AGENCIES.get(category, ""),
                  Source.TRUSTED_FLAGGER: "Trusted flagger: Mafindo"}[source]
        tier = Tier.URGENT if category in (Category.TERRORISM, Category.CSAM, Category.PUBLIC_ORDER) else (
            Tier.URGENT if rng.random() < 0.05 else "")
        with _at(start):
            case = create_case(
                actor=analyst, platform=platforms[slug], category=category, location_url=url,
                legal_basis=LEGAL_BASIS[category], reasons=REASONS[category], tier=tier,
                requested_action=RequestedAction.GEO_BLOCK if category == Category.GAMBLING and rng.random() < .3
                else RequestedAction.REMOVE, source=source, source_detail=detail,
                assigned_to=analyst if rng.random() < 0.5 else supervisor,
            )
        created += 1
        if created % 5 != 1:  # four cases in five carry evidence (screenshots, archives, documents)
            with _at(start + timedelta(minutes=2)):
                attach_demo_evidence(case, actor=analyst, index=created)
        if outcome == CaseStatus.DRAFT:
            continue
        _play(case, outcome, start=start, now=now, rng=rng, diligence=diligence,
              liaison=liaison_for[slug], analyst=analyst, supervisor=supervisor)
    return created


def _platform_helper_liaison(platform: Platform):
    """Platforms without a demo login still answer; a liaison account acts for them (no password)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=f"{platform.slug}-liaison",
        defaults={"first_name": platform.name, "last_name": "Liaison", "email": f"trust@{platform.slug}.example"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=roles.LIAISON))
    PlatformMembership.objects.get_or_create(user=user, platform=platform)
    return user


def _play(case, outcome, *, start, now, rng, diligence, liaison, analyst, supervisor) -> None:
    """Walk a case from submission to `outcome`, never past `now`, marking it overdue when the clock says so."""
    cursor = start + timedelta(minutes=rng.randint(5, 180))
    if cursor >= now:
        return

    def step(at: datetime) -> bool:
        nonlocal cursor
        if at >= now - timedelta(minutes=1):
            return False
        _sweep_until(case, at)
        cursor = at
        return True

    with _at(cursor):
        transition(case, "submit", actor=analyst)
    window = case.due_at - case.submitted_at
    on_time = rng.random() < diligence
    # When the platform answers, as a fraction of its window.
    ack_at = cursor + window * rng.uniform(0.05, 0.4 if on_time else 1.6)
    act_at = ack_at + window * rng.uniform(0.1, 0.5 if on_time else 2.5)

    if outcome == CaseStatus.SUBMITTED:
        _sweep_until(case, now - timedelta(minutes=1))
        return
    if outcome in (CaseStatus.OBJECTED, CaseStatus.WITHDRAWN) and rng.random() < 0.6:
        obj_at = cursor + window * rng.uniform(0.1, 0.8)
        if not step(obj_at):
            return
        with _at(obj_at):
            transition(case, "object", actor=liaison, reason=rng.choice(ObjectionReason.values[:5]),
                       text="Menurut tinjauan kami konten ini tidak melanggar hukum Indonesia; mohon ditinjau ulang.")
        if outcome == CaseStatus.WITHDRAWN:
            decide_at = obj_at + timedelta(hours=rng.uniform(2, 30))
            if step(decide_at):
                with _at(decide_at):
                    transition(case, "uphold_objection", actor=supervisor,
                               note="The objection is well founded: the content is reporting, not incitement.")
        return
    if outcome == CaseStatus.WITHDRAWN:
        wd_at = cursor + window * rng.uniform(0.1, 0.6)
        if step(wd_at):
            with _at(wd_at):
                transition(case, "withdraw", actor=supervisor, note="Duplicate of an agency request; withdrawn.")
        return
    if step(ack_at):
        with _at(ack_at):
            transition(case, "acknowledge", actor=liaison)
    else:
        _sweep_until(case, now - timedelta(minutes=1))
        return
    if outcome == CaseStatus.ACKNOWLEDGED:
        _sweep_until(case, now - timedelta(minutes=1))
        return
    if not step(act_at):
        _sweep_until(case, now - timedelta(minutes=1))
        return
    with _at(act_at):
        transition(case, "report_action", actor=liaison,
                   action_taken=rng.choices(ActionTaken.values, weights=[60, 15, 15, 5, 5])[0],
                   action_taken_at=max(case.submitted_at, act_at - timedelta(minutes=rng.randint(1, 90))))
        if rng.random() < 0.3:
            add_comment(case, actor=liaison, text="Konten telah ditindaklanjuti sesuai permintaan.")
    if outcome == "reopened":
        reopen_at = act_at + timedelta(hours=rng.uniform(1, 12))
        if not step(reopen_at):
            return
        with _at(reopen_at):
            transition(case, "reopen", actor=analyst,
                       note="The content is still reachable from Indonesia (re-checked).")
        again = reopen_at + (case.due_at - reopen_at) * rng.uniform(0.2, 1.4)
        if step(again):
            with _at(again):
                transition(case, "report_action", actor=liaison, action_taken=ActionTaken.REMOVED,
                           action_taken_at=max(case.submitted_at, again - timedelta(minutes=5)),
                           note="Removed the re-uploaded copy too.")
        return
    if outcome == CaseStatus.VERIFIED:
        verify_at = act_at + timedelta(hours=rng.uniform(0.5, 20))
        if step(verify_at):
            with _at(verify_at):
                transition(case, "verify", actor=analyst)
                if rng.random() < 0.2:
                    add_comment(case, actor=analyst, visibility=Visibility.INTERNAL,
                                text="Checked from three ISPs; not reachable.")


def _sweep_until(case: Case, at: datetime) -> None:
    """What the minute-by-minute sweeper would have done to this case by `at`."""
    case.refresh_from_db(fields=["status", "due_at", "overdue_at"])
    if case.due_at and case.overdue_at is None and case.status in (CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED):
        detected = case.due_at + timedelta(minutes=1)
        if detected <= at:
            with _at(detected):
                mark_overdue(case.pk, detected)


def _decide_proposals(users) -> None:
    """The supervisor has issued some of the sweeper's proposals (demo of the ladder)."""
    supervisor = users["supervisor"]
    for i, sanction in enumerate(Sanction.objects.filter(status=SanctionStatus.PROPOSED).order_by("platform__name")):
        if i % 2:
            continue
        with _at(clock.now() - timedelta(days=2)):
            sanction_services.issue_sanction(
                sanction, actor=supervisor,
                letter_reference=f"ST{min(sanction.level, 3)}/{sanction.platform.slug.upper()}/2026/{i + 1:03d}",
            )


def _commitment_updates(users) -> None:
    telegram = Commitment.objects.filter(platform__slug="telegram", kind=CommitmentKind.LOCAL_MODERATORS).first()
    if telegram and not telegram.updates.exists():
        with _at(datetime(2017, 9, 15, 10, 0, tzinfo=JAKARTA)):
            post_update(
                telegram, actor=users["telegram"], progress_percent=50, status=CommitmentStatus.IN_PROGRESS,
                note="Moderators who speak Indonesian have joined the team; recruitment continues.",
            )


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoSummary", "load"]
