"""Fill PostgreSQL with years of realistic history, fast, through COPY.

    python manage.py generate_load --cases 10000000

- Platform and category mix of the demo; the status mix of a working system (most cases closed, a
  realistic share open, overdue and late); 3–5 events per case over several years; evidence rows for
  about half the cases, all sharing one tiny stored file (so `verify_evidence` stays meaningful).
- Resumable: each batch is one transaction, and `--cases N` means "make it N generated cases in total",
  so a run that was stopped picks up where the last committed batch ended.
- References come from the same per-year counter the application uses, so numbering continues after.
"""

import io
import json
import random
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases import clock
from cases.choices import (
    DEFAULT_TIER,
    ActionTaken,
    CaseStatus,
    EventKind,
    EvidenceKind,
    RequestedAction,
    Source,
    Tier,
    Visibility,
)
from cases.demo import PLATFORM_PROFILE, PLATFORM_WEIGHTS, REASONS
from cases.demo.content import LEGAL_BASIS
from cases.models import Case, Evidence, Platform, ReferenceCounter

MARK = "load:"  # source_detail prefix of generated cases
CASE_COLUMNS = [
    "id", "reference", "platform_id", "category", "tier", "location_url", "handle", "native_id",
    "normalized_location", "legal_basis", "reasons", "requested_action", "source", "source_detail",
    "issuing_authority", "redress", "status", "created_at", "updated_at", "submitted_at", "acknowledged_at",
    "actioned_at", "objected_at", "verified_at", "withdrawn_at", "closed_at", "submission_count",
    "deadline_hours", "due_at", "overdue_at", "is_late", "action_taken", "action_taken_at", "objection_reason",
    "objection_text", "assigned_to_id", "created_by_id", "submitted_by_id", "version",
]
EVENT_COLUMNS = ["case_id", "actor_id", "actor_name", "kind", "from_status", "to_status", "note", "visibility",
                 "created_at", "data"]
EVIDENCE_COLUMNS = ["case_id", "file", "sha256", "size", "content_type", "original_name", "kind", "visibility",
                    "description", "source_url", "captured_at", "uploaded_by_id", "uploaded_at", "first_copy_id",
                    "withdrawn_at", "withdrawn_by_id", "withdrawal_reason"]
N = r"\N"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _ts(dt: datetime | None) -> str:
    return dt.isoformat() if dt is not None else N


class Command(BaseCommand):
    help = "Generate N realistic cases (with events and evidence rows) in PostgreSQL using COPY. Resumable."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="Total generated cases wanted.")
        parser.add_argument("--batch", type=int, default=50_000, help="Cases per transaction (default 50000).")
        parser.add_argument("--years", type=float, default=4.0, help="History span in years (default 4).")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, cases: int, batch: int, years: float, seed: int, no_progress=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_load writes with PostgreSQL COPY; point DATABASE_URL at PostgreSQL.")
        if cases < 1 or batch < 1:
            raise CommandError("--cases and --batch must be positive.")
        from cases import demo

        demo.load(n_cases=0)  # platforms, users, policies, meetings: the reference data the cases point at
        self.ctx = _Context.build(years=years)
        done = Case.objects.filter(source_detail__startswith=MARK).count()
        todo = max(cases - done, 0)
        self.stdout.write(f"{done} generated cases present; generating {todo} more in batches of {batch}.")
        if not todo:
            return
        bar = None
        if not no_progress and self.stdout.isatty():
            from tqdm import tqdm

            bar = tqdm(total=todo, unit="case", unit_scale=True)
        started, made = time.perf_counter(), 0
        rng = random.Random(seed + done)
        while made < todo:
            n = min(batch, todo - made)
            events = self._batch(n, rng, start_index=done + made)
            made += n
            if bar is not None:
                bar.update(n)
            elif not no_progress:
                rate = made / (time.perf_counter() - started)
                self.stdout.write(f"  {done + made:>10} cases ({rate:,.0f} cases/s, last batch {events} events)")
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("ANALYZE cases_case; ANALYZE cases_caseevent; ANALYZE cases_evidence;")
        self.stdout.write(self.style.SUCCESS(
            f"Generated {made} cases in {elapsed:.1f} s: {made / elapsed:,.0f} cases/s (events and evidence included)."
        ))

    @transaction.atomic
    def _batch(self, n: int, rng: random.Random, *, start_index: int) -> int:
        ctx = self.ctx
        rows = [ctx.make_case(rng, start_index + i) for i in range(n)]
        # References: the application's per-year counters, bumped once per year per batch.
        by_year: dict[int, list] = {}
        for row in rows:
            by_year.setdefault(row["created_at"].year, []).append(row)
        with connection.cursor() as cur:
            for year, members in by_year.items():
                ReferenceCounter.objects.get_or_create(year=year)
                cur.execute("UPDATE cases_referencecounter SET last = last + %s WHERE year = %s RETURNING last",
                            [len(members), year])
                last = cur.fetchone()[0]
                for k, row in enumerate(members):
                    row["reference"] = f"PTH-{year}-{last - len(members) + k + 1:06d}"
            cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                        "nextval(pg_get_serial_sequence('cases_case', 'id')) + %s - 1)", [n])
            last_id = cur.fetchone()[0]
        for k, row in enumerate(rows):
            row["id"] = last_id - n + k + 1
        case_buf, event_buf, evidence_buf = io.StringIO(), io.StringIO(), io.StringIO()
        n_events = 0
        for row in rows:
            case_buf.write("\t".join(_case_line(row)) + "\n")
            for event in row["events"]:
                event[0] = str(row["id"])
                event_buf.write("\t".join(event) + "\n")
                n_events += 1
            if row["evidence"]:
                evidence_buf.write("\t".join(ctx.evidence_line(row)) + "\n")
        with connection.cursor() as cur:
            raw = cur.cursor
            for table, columns, buf in (("cases_case", CASE_COLUMNS, case_buf),
                                        ("cases_caseevent", EVENT_COLUMNS, event_buf),
                                        ("cases_evidence", EVIDENCE_COLUMNS, evidence_buf)):
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
        return n_events


def _case_line(row: dict) -> list[str]:
    out = []
    for col in CASE_COLUMNS:
        value = row.get(col)
        if value is None:
            out.append(N)
        elif isinstance(value, datetime):
            out.append(value.isoformat())
        elif isinstance(value, bool):
            out.append("t" if value else "f")
        else:
            out.append(_esc(str(value)))
    return out


class _Context:
    """Everything the row factory needs, looked up once."""

    @classmethod
    def build(cls, *, years: float):
        from django.contrib.auth import get_user_model

        self = cls()
        User = get_user_model()
        self.now = clock.now()
        self.span = timedelta(days=365 * years)
        self.platforms = {p.slug: p for p in Platform.objects.filter(slug__in=PLATFORM_WEIGHTS)}
        self.slugs = list(PLATFORM_WEIGHTS)
        self.slug_weights = [PLATFORM_WEIGHTS[s] for s in self.slugs]
        self.analyst = User.objects.get(username="analyst")
        self.liaison = {s: User.objects.get(username=u) for s, u in
                        (("telegram", "telegram"), ("facebook", "facebook"), ("google", "google-liaison"),
                         ("twitter", "twitter-liaison"), ("tiktok", "tiktok-liaison"))}
        self.authority = Case._meta.get_field("issuing_authority").get_default()
        self.redress = str(Case._meta.get_field("redress").get_default())
        self.placeholder = self._placeholder_evidence()
        return self

    def _placeholder_evidence(self) -> Evidence:
        """One real stored file that every generated evidence row shares (as a linked copy)."""
        existing = Evidence.objects.filter(original_name="load-placeholder.png", first_copy__isnull=True).first()
        if existing is not None:
            return existing
        from django.core.files.uploadedfile import SimpleUploadedFile

        from cases.demo_evidence import screenshot_png
        from cases.services.evidence import upload_evidence

        anchor = Case.objects.filter(source_detail__startswith=MARK).first() or Case.objects.first()
        if anchor is None:
            from cases.services.cases import create_case

            anchor = create_case(actor=self.analyst, platform=self.platforms["telegram"], category="other",
                                 location_url="https://t.me/load_anchor/1", legal_basis="load", reasons="anchor")
        return upload_evidence(case=anchor, actor=self.analyst, kind=EvidenceKind.SCREENSHOT,
                               visibility=Visibility.INTERNAL,
                               file=SimpleUploadedFile("load-placeholder.png", screenshot_png("load"), "image/png"))

    def make_case(self, rng: random.Random, index: int) -> dict:
        slug = rng.choices(self.slugs, self.slug_weights)[0]
        categories, diligence = PLATFORM_PROFILE[slug]
        category = rng.choices(list(categories), list(categories.values()))[0]
        tier = DEFAULT_TIER[category] if rng.random() > 0.05 else Tier.URGENT
        hours = 4 if tier == Tier.URGENT else 24
        # More recent years carry more cases (growth), never later than a minute ago.
        age = self.span * (rng.random() ** 1.6)
        created = self.now - age - timedelta(minutes=1)
        url = f"https://{slug}.example/load/{index}"
        row = {
            "platform_id": self.platforms[slug].pk, "category": category, "tier": tier, "location_url": url,
            "handle": "", "native_id": "", "normalized_location": "url:" + url, "legal_basis": LEGAL_BASIS[category],
            "reasons": REASONS[category], "requested_action": RequestedAction.REMOVE, "source": Source.CRAWLER,
            "source_detail": f"{MARK}{index}", "issuing_authority": self.authority, "redress": self.redress,
            "created_at": created, "created_by_id": self.analyst.pk, "assigned_to_id": None,
            "submission_count": 0, "is_late": False, "action_taken": "", "objection_reason": "",
            "objection_text": "", "version": 1, "evidence": rng.random() < 0.5,
        }
        events = [self._event(row, EventKind.CREATED, created, "", CaseStatus.DRAFT, self.analyst, Visibility.INTERNAL)]
        status = CaseStatus.DRAFT
        if age > timedelta(days=14):
            roll = rng.random()
            final = (CaseStatus.VERIFIED if roll < 0.80 else CaseStatus.WITHDRAWN if roll < 0.90 else
                     CaseStatus.ACTIONED if roll < 0.94 else CaseStatus.OBJECTED if roll < 0.96 else
                     CaseStatus.ACKNOWLEDGED if roll < 0.98 else CaseStatus.SUBMITTED)
        else:
            final = rng.choices([CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED,
                                 CaseStatus.ACTIONED, CaseStatus.OBJECTED, CaseStatus.VERIFIED,
                                 CaseStatus.WITHDRAWN], [3, 12, 12, 15, 4, 48, 6])[0]
        if final != CaseStatus.DRAFT:
            submitted = created + timedelta(minutes=rng.randint(2, 240))
            submitted = min(submitted, self.now - timedelta(seconds=30))
            due = submitted + timedelta(hours=hours)
            row.update(submitted_at=submitted, submitted_by_id=self.analyst.pk, submission_count=1,
                       deadline_hours=hours, due_at=due)
            events.append(self._event(row, EventKind.SUBMITTED, submitted, status, CaseStatus.SUBMITTED,
                                      self.analyst, Visibility.SHARED))
            status = CaseStatus.SUBMITTED
            liaison = self.liaison[slug]
            on_time = rng.random() < diligence
            window = timedelta(hours=hours)
            ack = submitted + window * rng.uniform(0.05, 0.4 if on_time else 1.3)
            act = ack + window * rng.uniform(0.1, 0.5 if on_time else 2.0)
            if final == CaseStatus.WITHDRAWN:
                at = min(submitted + window * rng.uniform(0.1, 0.9), self.now)
                row.update(withdrawn_at=at, closed_at=at)
                events.append(self._event(row, EventKind.WITHDRAWN, at, status, CaseStatus.WITHDRAWN,
                                          self.analyst, Visibility.SHARED, note="Withdrawn."))
                status = CaseStatus.WITHDRAWN
            elif final == CaseStatus.OBJECTED:
                at = min(submitted + window * rng.uniform(0.1, 0.9), self.now)
                row.update(objected_at=at, objection_reason="lawful", objection_text="Lawful content.")
                events.append(self._event(row, EventKind.OBJECTED, at, status, CaseStatus.OBJECTED, liaison,
                                          Visibility.SHARED, note="Lawful content."))
                status = CaseStatus.OBJECTED
            elif final in (CaseStatus.ACKNOWLEDGED, CaseStatus.ACTIONED, CaseStatus.VERIFIED) and ack < self.now:
                row["acknowledged_at"] = ack
                events.append(self._event(row, EventKind.ACKNOWLEDGED, ack, status, CaseStatus.ACKNOWLEDGED,
                                          liaison, Visibility.SHARED))
                status = CaseStatus.ACKNOWLEDGED
                if final != CaseStatus.ACKNOWLEDGED and act < self.now:
                    if act > due:
                        row["overdue_at"] = due
                        events.append(self._event(row, EventKind.OVERDUE, due + timedelta(minutes=1), "", "",
                                                  None, Visibility.SHARED))
                    row.update(actioned_at=act, action_taken=ActionTaken.REMOVED, action_taken_at=act,
                               is_late=act > due)
                    events.append(self._event(row, EventKind.ACTION_REPORTED, act, status, CaseStatus.ACTIONED,
                                              liaison, Visibility.SHARED))
                    status = CaseStatus.ACTIONED
                    verify = act + timedelta(hours=rng.uniform(0.5, 30))
                    if final == CaseStatus.VERIFIED and verify < self.now:
                        row.update(verified_at=verify, closed_at=verify)
                        events.append(self._event(row, EventKind.VERIFIED, verify, status, CaseStatus.VERIFIED,
                                                  self.analyst, Visibility.SHARED))
                        status = CaseStatus.VERIFIED
            if status in (CaseStatus.SUBMITTED, CaseStatus.ACKNOWLEDGED) and due < self.now:
                row["overdue_at"] = due
                events.append(self._event(row, EventKind.OVERDUE, due + timedelta(minutes=1), "", "", None,
                                          Visibility.SHARED))
        row["status"] = status
        row["updated_at"] = max(datetime.fromisoformat(e[8]) for e in events)
        row["events"] = events
        return row

    def _event(self, row, kind, at, from_status, to_status, actor, visibility, note=""):
        # The case id (first column) is filled in when ids are allocated for the batch.
        return [
            None, str(actor.pk) if actor else N, _esc(actor.get_full_name() or actor.username) if actor else "Patuh",
            kind, from_status, to_status, _esc(note), visibility, at.astimezone(UTC).isoformat(), json.dumps({}),
        ]

    def evidence_line(self, row) -> list[str]:
        p = self.placeholder
        at = row["created_at"] + timedelta(minutes=1)
        return [str(row["id"]), p.file.name, p.sha256, str(p.size), p.content_type, "screenshot.png",
                EvidenceKind.SCREENSHOT, Visibility.INTERNAL, "", "", N, str(self.analyst.pk), at.isoformat(),
                str(p.pk), N, N, ""]

