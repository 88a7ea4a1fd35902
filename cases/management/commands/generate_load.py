"""Fill PostgreSQL with years of realistic history, fast.

    python manage.py generate_load --cases 10000000

How it is fast: Python only draws a compact row of numbers per case (times as epoch seconds, the final
status) and COPYs them into a temporary staging table; set-based SQL then expands each draw into the
case, its 3–5 events and its evidence row. For large runs (`--rebuild-indexes`, default above 500,000
cases) the secondary indexes are dropped during the load and rebuilt once at the end, which is far
cheaper than maintaining them row by row; the rebuild time is included in the reported rate.

What it writes:
- each submitted case's submission cycle (its deadline, acknowledgement, action, overdue and late facts);
- the platform and category mix of the demo; the status mix of a working system (most cases closed, a
  realistic share open, overdue and late); 3–5 events per case with timestamps over several years;
  evidence rows for about half the cases, all linked to one tiny stored file (so `verify_evidence` stays
  meaningful);
- references from the application's own per-year counters, so numbering continues after the load.

Resumable: each batch is one transaction, and `--cases N` means "make it N generated cases in total", so a
stopped run picks up after the last committed batch.
"""

import bisect
import hashlib
import io
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases.core import audit, clock
from cases.core.choices import DEFAULT_TIER, EvidenceKind, Visibility
from cases.core.recorders.events import SYSTEM_NAME
from cases.core.recorders.rollups import rebuild_rollups
from cases.demo import PLATFORM_PROFILE, PLATFORM_WEIGHTS, REASONS
from cases.demo.content import LEGAL_BASIS
from cases.models import Case, Evidence, Platform, ReferenceCounter

MARK = "load:"  # source_detail prefix of generated cases
LIAISONS = {"telegram": "telegram", "facebook": "facebook", "google": "google-liaison",
            "twitter": "twitter-liaison", "tiktok": "tiktok-liaison"}
STAGING = """
CREATE TEMP TABLE IF NOT EXISTS load_draw (
    id bigint, reference text, n bigint, platform_id bigint, slug text, category text, tier text,
    status text, liaison_id bigint, liaison_name text, created double precision,
    submitted double precision, hours int, due double precision, ack double precision,
    act double precision, verified double precision, withdrawn double precision,
    objected double precision, overdue double precision, late boolean, evidence boolean
)"""
DRAW_COLUMNS = [
    "id", "reference", "n", "platform_id", "slug", "category", "tier", "status", "liaison_id", "liaison_name",
    "created", "submitted", "hours", "due", "ack", "act", "verified", "withdrawn", "objected", "overdue", "late",
    "evidence",
]
INSERT_CASES = """
INSERT INTO cases_case (
    id, reference, platform_id, category, tier, location_url, handle, native_id, normalized_location,
    legal_basis, reasons, requested_action, source, source_detail, issuing_authority, redress, status,
    created_at, updated_at, submitted_at, acknowledged_at, actioned_at, objected_at, verified_at, withdrawn_at,
    closed_at, submission_count, deadline_hours, due_at, overdue_at, is_late, action_taken, action_taken_at,
    objection_reason, objection_text, assigned_to_id, created_by_id, submitted_by_id, version)
SELECT d.id, d.reference, d.platform_id, d.category, d.tier,
    'https://' || d.slug || '.example/load/' || d.n, '', '', 'url:https://' || d.slug || '.example/load/' || d.n,
    c.legal_basis, c.reasons, 'remove', 'crawler', %(mark)s || d.n, %(authority)s, %(redress)s, d.status,
    to_timestamp(d.created),
    to_timestamp(greatest(d.created, d.submitted, d.ack, d.act, d.verified, d.withdrawn, d.objected, d.overdue)),
    to_timestamp(d.submitted), to_timestamp(d.ack), to_timestamp(d.act), to_timestamp(d.objected),
    to_timestamp(d.verified), to_timestamp(d.withdrawn), to_timestamp(coalesce(d.verified, d.withdrawn)),
    CASE WHEN d.submitted IS NULL THEN 0 ELSE 1 END, d.hours, to_timestamp(d.due), to_timestamp(d.overdue), d.late,
    CASE WHEN d.act IS NULL THEN '' ELSE 'removed' END, to_timestamp(d.act),
    CASE WHEN d.objected IS NULL THEN '' ELSE 'lawful' END,
    CASE WHEN d.objected IS NULL THEN '' ELSE 'Lawful content.' END,
    NULL, %(analyst)s, CASE WHEN d.submitted IS NULL THEN NULL ELSE %(analyst)s END, 1
FROM load_draw d JOIN load_category c ON c.category = d.category
"""
# Each submitted case's one submission cycle (cases.cases.models.cycles), with the facts the case row has.
ISO = """to_char(to_timestamp({c}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
INSERT_CYCLES = """
INSERT INTO cases_submissioncycle (
    case_id, number, opened_at, opened_by_id, deadline_hours, deadline_source, objection_rule, first_due_at, due_at,
    acknowledged_at, actioned_at, action_taken, action_taken_at, is_late, overdue_at, objected_at, objection_pending,
    objections, outcome, closed_at)
SELECT d.id, 1, to_timestamp(d.submitted), %(analyst)s, d.hours, 'policy:' || d.category, 'resume',
    to_timestamp(d.due), to_timestamp(d.due), to_timestamp(d.ack), to_timestamp(d.act),
    CASE WHEN d.act IS NULL THEN '' ELSE 'removed' END, to_timestamp(d.act), d.late, to_timestamp(d.overdue),
    to_timestamp(d.objected), d.objected IS NOT NULL,
    CASE WHEN d.objected IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object(
        'lodged_at', """ + ISO.format(c="d.objected") + """, 'reason', 'lawful',
        'minutes_left', floor((d.due - d.objected) / 60)::int, 'in_time', d.objected <= d.due)) END,
    CASE d.status WHEN 'verified' THEN 'verified' WHEN 'withdrawn' THEN 'withdrawn' ELSE '' END,
    to_timestamp(coalesce(d.verified, d.withdrawn))
FROM load_draw d WHERE d.submitted IS NOT NULL
"""
# The events of a case, in the order they are written: (kind, from, to, who acted, visibility, note).
EVENT_KINDS = (
    ("created", "", "draft", "analyst", "internal", ""),
    ("submitted", "draft", "submitted", "analyst", "shared", ""),
    ("acknowledged", "submitted", "acknowledged", "liaison", "shared", ""),
    ("overdue", "", "", "system", "shared", ""),
    ("action_reported", "acknowledged", "actioned", "liaison", "shared", ""),
    ("verified", "actioned", "verified", "analyst", "shared", ""),
    ("withdrawn", "submitted", "withdrawn", "analyst", "shared", "Withdrawn."),
    ("objected", "submitted", "objected", "liaison", "shared", "Lawful content."),
)
EVENT_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS load_event (id bigint, case_id bigint, k smallint, us bigint, hash text)"""
INSERT_EVENTS = """
INSERT INTO cases_caseevent (id, case_id, actor_id, actor_name, kind, from_status, to_status, note, visibility,
                             created_at, data, hash)
SELECT e.id, e.case_id,
    CASE k.who WHEN 'analyst' THEN %(analyst)s WHEN 'liaison' THEN d.liaison_id END,
    CASE k.who WHEN 'analyst' THEN %(analyst_name)s WHEN 'liaison' THEN d.liaison_name ELSE %(system)s END,
    k.kind, k.from_s, k.to_s, k.note, k.vis, timestamptz 'epoch' + e.us * interval '1 microsecond', '{}'::jsonb,
    e.hash
FROM load_event e JOIN load_draw d ON d.id = e.case_id JOIN load_kind k ON k.k = e.k
ORDER BY e.id
"""
INSERT_EVIDENCE = """
INSERT INTO cases_evidence (case_id, file, sha256, size, content_type, original_name, kind, visibility,
    description, source_url, captured_at, uploaded_by_id, uploaded_at, first_copy_id, withdrawn_at,
    withdrawn_by_id, withdrawal_reason)
SELECT d.id, %(file)s, %(sha256)s, %(size)s, %(content_type)s, 'screenshot.png', %(kind)s, %(visibility)s, '', '',
    NULL, %(analyst)s, to_timestamp(d.created + 60), %(first_copy)s, NULL, NULL, ''
FROM load_draw d WHERE d.evidence
"""
TABLES = ("cases_case", "cases_caseevent", "cases_evidence", "cases_submissioncycle")


class Command(BaseCommand):
    help = "Generate N realistic cases (with events and evidence rows) in PostgreSQL, fast. Resumable."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="Total generated cases wanted.")
        parser.add_argument("--batch", type=int, default=100_000, help="Cases per transaction (default 100000).")
        parser.add_argument("--years", type=float, default=4.0, help="History span in years (default 4).")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--rebuild-indexes", choices=["auto", "yes", "no"], default="auto",
                            help="Drop secondary indexes during the load and rebuild them after "
                                 "(auto: when generating more than 500,000 cases).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, cases: int, batch: int, years: float, seed: int, rebuild_indexes="auto",
               no_progress=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_load writes with PostgreSQL COPY; point DATABASE_URL at PostgreSQL.")
        if cases < 1 or batch < 1:
            raise CommandError("--cases and --batch must be positive.")
        from cases import demo

        demo.load(n_cases=0)  # platforms, users, policies, meetings: the reference data the cases point at
        done = Case.objects.filter(source_detail__startswith=MARK).count()
        todo = max(cases - done, 0)
        self.stdout.write(f"{done} generated cases present; generating {todo} more in batches of {batch}.")
        if not todo:
            return
        drawer = _Drawer.build(years=years, seed=seed + done)
        rebuild = rebuild_indexes == "yes" or (rebuild_indexes == "auto" and todo > 500_000) or _indexes_pending()
        bar = None
        if not no_progress and self.stdout.isatty():
            from tqdm import tqdm

            bar = tqdm(total=todo, unit="case", unit_scale=True)
        started, made = time.perf_counter(), 0
        with connection.cursor() as cur:
            cur.execute(STAGING)
            cur.execute(EVENT_STAGING)
            _load_categories(cur)
            _load_kinds(cur)
        saved = _drop_secondary_indexes() if rebuild else []
        try:
            while made < todo:
                n = min(batch, todo - made)
                self._batch(drawer, n, start_index=done + made)
                made += n
                if bar is not None:
                    bar.update(n)
                elif not no_progress:
                    rate = made / (time.perf_counter() - started)
                    self.stdout.write(f"  {done + made:>10} cases ({rate:,.0f} cases/s)")
        finally:
            load_time = time.perf_counter() - started
            if saved:
                self.stdout.write(f"Loaded {made} cases with their events and evidence in {load_time:.1f} s "
                                  f"({made / load_time:,.0f} cases/s); rebuilding {len(saved)} indexes...")
                _recreate_indexes(saved, write=None if no_progress else self.stdout.write)
            if bar is not None:
                bar.close()
        elapsed = time.perf_counter() - started
        with connection.cursor() as cur:
            # VACUUM sets the visibility map, without which no index-only scan (the reports' covering indexes)
            # avoids the heap; autovacuum would get there, later.
            for table in TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        # The cases were written outside the services, so the report rollups are recomputed from them.
        rollup_started = time.perf_counter()
        with transaction.atomic():
            summary = rebuild_rollups()
        self.stdout.write(f"Report rollups rebuilt from {summary.cases:,} submitted cases in "
                          f"{time.perf_counter() - rollup_started:.1f} s.")
        self.stdout.write(self.style.SUCCESS(
            f"Generated {made} cases in {elapsed:.1f} s: {made / elapsed:,.0f} cases/s "
            f"(events, evidence{' and the index rebuild' if saved else ''} included)."
        ))

    @transaction.atomic
    def _batch(self, drawer: "_Drawer", n: int, *, start_index: int) -> None:
        rows = drawer.draw(n, start_index)
        with connection.cursor() as cur:
            # Generated rows point only at rows this batch or the reference data just wrote, so the
            # per-row foreign-key triggers can be skipped (superusers only), and a crash loses at most
            # the batch being written, so the commit need not wait for the disk.
            cur.execute("SET LOCAL synchronous_commit = off")
            if drawer.superuser:
                cur.execute("SET LOCAL session_replication_role = replica")
            # 1. Ids from the table's sequence and references from the per-year counters, in one step each.
            cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                        "nextval(pg_get_serial_sequence('cases_case', 'id')) + %s - 1)", [n])
            first_id = cur.fetchone()[0] - n + 1
            by_year: dict[int, list[int]] = {}
            for k, row in enumerate(rows):
                by_year.setdefault(row[1], []).append(k)
            references = [""] * n
            for year, members in by_year.items():
                ReferenceCounter.objects.get_or_create(year=year)
                cur.execute("UPDATE cases_referencecounter SET last = last + %s WHERE year = %s RETURNING last",
                            [len(members), year])
                last = cur.fetchone()[0]
                for j, k in enumerate(members):
                    references[k] = f"PTH-{year}-{last - len(members) + j + 1:06d}"
            # 2. The compact draws into the staging table.
            buf = io.StringIO()
            for k, row in enumerate(rows):
                buf.write(f"{first_id + k}\t{references[k]}\t{row[0]}")
                buf.write(row[2])
            cur.execute("TRUNCATE load_draw")
            with cur.cursor.copy(f"COPY load_draw ({', '.join(DRAW_COLUMNS)}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
            # 3. The events, sealed into the audit chain here (the chain is sequential: SHA-256 of the previous
            # hash and the event), staged, then set-based expansion into cases, events and evidence.
            chain_events(cur, drawer, rows, first_id)
            cur.execute(INSERT_CASES, drawer.params)
            cur.execute(INSERT_CYCLES, drawer.params)
            cur.execute(INSERT_EVENTS, drawer.params)
            cur.execute(INSERT_EVIDENCE, drawer.params)


def chain_events(cur, drawer: "_Drawer", rows: list[tuple], first_case_id: int) -> None:
    """Give the batch's events their ids and hashes under the chain's lock, and COPY them to staging.

    The canonical form of each event comes from `audit.canonical`; the fast path below fills a per-kind,
    per-platform template instead of building a dict per event, and is checked against `audit.canonical`
    on the first event of every template (and `verify_audit` checks them all).
    """
    chain = audit.CASE_EVENTS
    n_events = sum(len(row[4]) for row in rows)
    audit.lock(chain, cur)
    last_id, previous = audit.head(chain, cur)
    ids = iter(audit.next_ids(chain, cur, n_events, last_id))
    templates, checked = drawer.event_templates, set()
    sha256 = hashlib.sha256
    buf = io.StringIO()
    write = buf.write
    for k, (_index, _year, _line, which, events) in enumerate(rows):
        case_id = first_case_id + k
        for kind, t in events:
            pk, us = next(ids), round(t * 1000) * 1000
            payload = f"[{pk},{case_id},{templates[kind, which]},{us},\"{{}}\"]".encode()
            if (kind, which) not in checked:
                checked.add((kind, which))
                assert payload == audit.canonical(chain, pk, drawer.event_values(kind, which, case_id, us)), payload
            previous = sha256(previous.encode() + payload).hexdigest()
            write(f"{pk}\t{case_id}\t{kind}\t{us}\t{previous}\n")
    cur.execute("TRUNCATE load_event")
    with cur.cursor.copy("COPY load_event (id, case_id, k, us, hash) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def _load_categories(cur) -> None:
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS load_category (category text PRIMARY KEY, legal_basis text, "
                "reasons text)")
    cur.execute("TRUNCATE load_category")
    with cur.cursor.copy("COPY load_category (category, legal_basis, reasons) FROM STDIN") as copy:
        for category, basis in LEGAL_BASIS.items():
            copy.write_row((category, basis, REASONS[category]))


def _load_kinds(cur) -> None:
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS load_kind (k smallint PRIMARY KEY, kind text, from_s text, "
                "to_s text, who text, vis text, note text)")
    cur.execute("TRUNCATE load_kind")
    with cur.cursor.copy("COPY load_kind (k, kind, from_s, to_s, who, vis, note) FROM STDIN") as copy:
        for k, row in enumerate(EVENT_KINDS):
            copy.write_row((k, *row))


SAVED_INDEXES = "generate_load_saved_index"  # index definitions dropped by a run, until it has rebuilt them


def _indexes_pending() -> bool:
    """Whether a stopped earlier run left indexes dropped (this run then rebuilds them at its end)."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [SAVED_INDEXES])
        if not cur.fetchone()[0]:
            return False
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {SAVED_INDEXES})")  # noqa: S608
        return cur.fetchone()[0]


def _drop_secondary_indexes() -> list[tuple[str, str]]:
    """Drop the non-unique indexes of the tables; return their definitions for the rebuild, with those a stopped
    earlier run dropped and never rebuilt (kept in a table, so a resumed run rebuilds them too)."""
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {SAVED_INDEXES} (name text PRIMARY KEY, definition text NOT NULL)")
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(%s) AND NOT x.indisunique",
            [list(TABLES)],
        )
        for name, definition in cur.fetchall():
            cur.execute(f"INSERT INTO {SAVED_INDEXES} (name, definition) VALUES (%s, %s) ON CONFLICT DO NOTHING",  # noqa: S608
                        [name, definition])
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
        cur.execute(f"SELECT name, definition FROM {SAVED_INDEXES} ORDER BY name")  # noqa: S608
        return cur.fetchall()


def _recreate_indexes(saved: list[tuple[str, str]], write=None) -> None:
    with connection.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in saved:
            started = time.perf_counter()
            cur.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            cur.execute(f"DELETE FROM {SAVED_INDEXES} WHERE name = %s", [name])  # noqa: S608
            if write is not None:
                write(f"  {name}: {time.perf_counter() - started:.1f} s")


class _Drawer:
    """Draws compact case rows: everything per case is a number or a short code; SQL does the rest."""

    @classmethod
    def build(cls, *, years: float, seed: int) -> "_Drawer":
        from django.contrib.auth import get_user_model

        self = cls()
        User = get_user_model()
        self.rng = random.Random(seed)
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            self.superuser = bool(cur.fetchone()[0])
        self.now = clock.now().timestamp()
        self.span = years * 365 * 86400
        platforms = {p.slug: p for p in Platform.objects.filter(slug__in=PLATFORM_WEIGHTS)}
        analyst = User.objects.get(username="analyst")
        liaisons = {slug: User.objects.get(username=name) for slug, name in LIAISONS.items()}
        self.platforms = []  # (pk, slug, liaison id, liaison name, categories, cumulative weights, diligence)
        for slug in PLATFORM_WEIGHTS:
            categories, diligence = PLATFORM_PROFILE[slug]
            names = list(categories)
            liaison = liaisons[slug]
            self.platforms.append((
                platforms[slug].pk, slug, liaison.pk, (liaison.get_full_name() or liaison.username).replace("\t", " "),
                names, _cumulative([categories[c] for c in names]), diligence,
            ))
        self.platform_cum = _cumulative(list(PLATFORM_WEIGHTS.values()))
        self.analyst = (analyst.pk, analyst.get_full_name() or analyst.username)
        self.event_templates = {
            (k, which): audit.canonical_json(list(self._event_fields(k, which).values()))[1:-1]
            for k in range(len(EVENT_KINDS)) for which in range(len(self.platforms))
        }
        self.tiers = {c: DEFAULT_TIER[c] for c in LEGAL_BASIS}
        placeholder = _placeholder_evidence(analyst, platforms["telegram"])
        self.params = {
            "analyst": analyst.pk, "analyst_name": analyst.get_full_name() or analyst.username,
            "authority": Case._meta.get_field("issuing_authority").get_default(),
            "redress": str(Case._meta.get_field("redress").get_default()),
            "file": placeholder.file.name, "sha256": placeholder.sha256, "size": placeholder.size,
            "content_type": placeholder.content_type, "kind": EvidenceKind.SCREENSHOT,
            "visibility": Visibility.INTERNAL, "first_copy": placeholder.pk, "mark": MARK, "system": SYSTEM_NAME,
        }
        return self

    def _event_fields(self, k: int, which: int) -> dict:
        """The columns of an event that follow from its kind and platform, in the chain's canonical order."""
        kind, from_s, to_s, who, vis, note = EVENT_KINDS[k]
        actor_id, name = {"analyst": self.analyst, "liaison": self.platforms[which][2:4],
                          "system": (None, SYSTEM_NAME)}[who]
        return {"actor_id": actor_id, "actor_name": name, "kind": kind, "from_status": from_s, "to_status": to_s,
                "note": note, "visibility": vis}

    def event_values(self, k: int, which: int, case_id: int, us: int) -> dict:
        return {"case_id": case_id, **self._event_fields(k, which),
                "created_at": audit.EPOCH + us * audit.ONE_MICROSECOND, "data": {}}

    def draw(self, n: int, start_index: int) -> list[tuple]:
        """Per case: (index, year, the rest of the staging line, platform number, [(event kind number, time)])."""
        r = self.rng.random
        now, span = self.now, self.span
        out = []
        for i in range(n):
            index = start_index + i
            which = bisect.bisect(self.platform_cum, r() * self.platform_cum[-1])
            pk, slug, liaison_id, liaison_name, names, cum, diligence = self.platforms[which]
            category = names[bisect.bisect(cum, r() * cum[-1])]
            tier = self.tiers[category] if r() > 0.05 else "urgent"
            hours = 4 if tier == "urgent" else 24
            age = span * r() ** 1.6 + 60  # more recent years carry more cases
            created = now - age
            submitted = due = ack = act = verified = withdrawn = objected = overdue = None
            late = False
            roll = r()
            if age > 14 * 86400:
                status = ("verified" if roll < 0.80 else "withdrawn" if roll < 0.90 else "actioned" if roll < 0.94
                          else "objected" if roll < 0.96 else "acknowledged" if roll < 0.98 else "submitted")
            else:
                status = ("draft" if roll < 0.03 else "submitted" if roll < 0.15 else "acknowledged" if roll < 0.27
                          else "actioned" if roll < 0.42 else "objected" if roll < 0.46 else "verified"
                          if roll < 0.94 else "withdrawn")
            final = status
            if final != "draft":
                window = hours * 3600.0
                # Whole milliseconds (as written, _f): the deadline is then exactly the submission plus the
                # window, as the replay of the events computes it, not 1 ms off by rounding each apart.
                submitted = round(min(created + 120 + r() * 14000, now - 30), 3)
                due = submitted + window
                on_time = r() < diligence
                status = "submitted"
                if final == "withdrawn":
                    withdrawn = min(submitted + window * (0.1 + 0.8 * r()), now)
                    status = "withdrawn"
                elif final == "objected":
                    objected = min(submitted + window * (0.1 + 0.8 * r()), now)
                    status = "objected"
                elif final in ("acknowledged", "actioned", "verified"):
                    a = submitted + window * (0.05 + r() * (0.35 if on_time else 1.25))
                    if a < now:
                        ack, status = a, "acknowledged"
                        b = a + window * (0.1 + r() * (0.4 if on_time else 1.9))
                        if final != "acknowledged" and b < now:
                            if b > due:
                                overdue, late = due, True
                            act, status = b, "actioned"
                            v = b + 1800 + r() * 106200
                            if final == "verified" and v < now:
                                verified, status = v, "verified"
                if status in ("submitted", "acknowledged") and due < now:
                    overdue = due
            year = time.gmtime(created + 7 * 3600).tm_year  # Jakarta year, as the application numbers them
            out.append((index, year, "\t" + "\t".join((
                str(pk), slug, category, tier, status, str(liaison_id), liaison_name, _f(created), _f(submitted),
                str(hours) if submitted is not None else r"\N", _f(due), _f(ack), _f(act), _f(verified),
                _f(withdrawn), _f(objected), _f(overdue), "t" if late else "f", "t" if r() < 0.5 else "f",
            )) + "\n", which, [(k, t) for k, t in enumerate((
                created, submitted, ack, None if overdue is None else overdue + 60, act, verified, withdrawn,
                objected)) if t is not None]))
        return out


def _f(value: float | None) -> str:
    return r"\N" if value is None else f"{value:.3f}"


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _placeholder_evidence(analyst, platform) -> Evidence:
    """One real stored file that every generated evidence row shares, as a linked copy."""
    existing = Evidence.objects.filter(original_name="load-placeholder.png", first_copy__isnull=True).first()
    if existing is not None:
        return existing
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.cases.services.cases import create_case
    from cases.demo.evidence import screenshot_png
    from cases.evidence.services.evidence import upload_evidence

    anchor = Case.objects.filter(source_detail="load-anchor").first() or create_case(
        actor=analyst, platform=platform, category="other", location_url="https://t.me/load_anchor/1",
        legal_basis="load", reasons="Anchor for the generated evidence file.", source_detail="load-anchor")
    return upload_evidence(case=anchor, actor=analyst, kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL,
                           file=SimpleUploadedFile("load-placeholder.png", screenshot_png("load"), "image/png"))
