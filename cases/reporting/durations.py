"""Exact percentiles of whole-minute durations from a minute histogram with block totals, reading only the
blocks where a percentile lands.

A source is a queryset of histogram rows (platform, category, kind, minute, n) where `minute` >= 0 counts the
cycles that took that many whole minutes and `minute` < 0 holds the total of a block of BLOCK_MINUTES
minutes (block -minute - 1): `DurationRollup` (all history) and `WindowHistogram` (a standard window).

Two queries whatever the data size:
1. the block totals, per platform, category and kind (a few thousand rows): they give every group's count,
   and the block where each rank a percentile needs falls;
2. the minutes of just those blocks, for just the platforms and categories of the groups that need them.
`percentile_cont` then interpolates between the two ranks, as PostgreSQL does. The figures equal those of
sorting every duration (tests/test_reports_reference.py compares them with a reference that does).
"""

import math
from collections import defaultdict

from django.db import connections, router, transaction

from cases.core.recorders.rollups import BLOCK_MINUTES

PERCENTILES = {"median": 0.5, "p90": 0.9}
KINDS = ("ack", "action")


def _ranks(n: int) -> set[int]:
    out = set()
    for fraction in PERCENTILES.values():
        position = fraction * (n - 1)
        out.update({math.floor(position), math.ceil(position)})
    return out


def block_percentiles(source) -> list[dict]:
    """[{(slug,): {kind_label: minutes}}, {(slug, category): ...}, {(): ...}]: the median and p90 minutes per
    platform, per platform and category, and overall, for the cycles the histogram rows of `source` count."""
    from cases.models import Platform

    alias = router.db_for_read(source.model)
    # 1. Block totals: (platform, category, kind) -> {block: n}.
    blocks: dict[tuple, dict[int, int]] = defaultdict(dict)
    for platform_id, category, kind, minute, n in (
            source.filter(minute__lt=0).values_list("platform_id", "category", "kind", "minute")
            .annotate(total=_sum("n")).order_by().using(alias)):
        if n:
            blocks[(platform_id, category, kind)][-minute - 1] = n
    if not blocks:
        return [{}, {}, {}]
    # Groups: level 0 by platform, 1 by platform and category, 2 overall; each with the cells it sums.
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for platform_id, category, kind in blocks:
        for level, key in ((0, (platform_id,)), (1, (platform_id, category)), (2, ())):
            groups[(level, key, kind)].append((platform_id, category))
    # Where each needed rank falls: group -> {rank: (block, rank within the block)}.
    wanted: dict[tuple, dict[int, tuple[int, int]]] = {}
    needed: set[tuple] = set()  # (platform, category, kind, block) whose minutes must be read
    totals: dict[tuple, int] = {}
    for group, cells in groups.items():
        kind = group[2]
        merged: dict[int, int] = defaultdict(int)
        for cell in cells:
            for block, n in blocks[(*cell, kind)].items():
                merged[block] += n
        total = sum(merged.values())
        totals[group] = total
        cumulative, placed = 0, {}
        ranks = sorted(_ranks(total))
        for block in sorted(merged):
            size = merged[block]
            while ranks and ranks[0] < cumulative + size:
                rank = ranks.pop(0)
                placed[rank] = (block, rank - cumulative)
            cumulative += size
        wanted[group] = placed
        for block, _within in placed.values():
            needed.update((*cell, kind, block) for cell in cells if block in blocks[(*cell, kind)])
    # 2. The minutes of the needed blocks.
    minutes = _minutes(source, needed, alias)
    found: list[dict] = [{} for _level in range(3)]
    slugs = dict(Platform.objects.using(alias).filter(pk__in={g[1][0] for g in groups if g[1]})
                 .values_list("pk", "slug"))
    for group, placed in wanted.items():
        level, key, kind = group
        cells = groups[group]
        values: dict[int, int] = {}
        per_block: dict[int, list[tuple[int, int]]] = {}
        for rank, (block, within) in placed.items():
            if block not in per_block:
                counts: dict[int, int] = defaultdict(int)
                for cell in cells:
                    for minute, n in minutes.get((*cell, kind, block), ()):
                        counts[minute] += n
                per_block[block] = sorted(counts.items())
            seen = 0
            for minute, n in per_block[block]:
                seen += n
                if within < seen:
                    values[rank] = minute
                    break
        shown = (slugs.get(key[0], ""), *key[1:]) if key else ()
        entry = found[level].setdefault(shown, {})
        for label, fraction in PERCENTILES.items():
            position = fraction * (totals[group] - 1)
            low, high = math.floor(position), math.ceil(position)
            entry[f"{kind}_{label}"] = values[low] + (values[high] - values[low]) * (position - low)
    return found


def _sum(field):
    from django.db.models import Sum

    return Sum(field)


def _minutes(source, needed: set[tuple], alias: str) -> dict[tuple, list[tuple[int, int]]]:
    """{(platform, category, kind, block): [(minute, n)]} for the blocks in `needed`, one query."""
    if not needed:
        return {}
    connection = connections[alias]
    base, params = (source.filter(minute__gte=0).values("platform_id", "category", "kind", "minute", "n")
                    .order_by().query.sql_with_params())
    rows = sorted(needed)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    wanted_params = []
    for platform_id, category, kind, block in rows:
        first = block * BLOCK_MINUTES
        wanted_params.extend([platform_id, category, kind, first, first + BLOCK_MINUTES - 1])
    sql = (
        f"WITH w (p, c, k, lo, hi) AS (VALUES {values}) "  # noqa: S608 - the ORM's own SQL and constants
        f"SELECT b.platform_id, b.category, b.kind, b.minute, SUM(b.n) FROM ({base}) AS b JOIN w "
        "ON b.platform_id = w.p AND b.category = w.c AND b.kind = w.k AND b.minute BETWEEN w.lo AND w.hi "
        "GROUP BY b.platform_id, b.category, b.kind, b.minute"
    )
    out: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One index range scan per wanted block (a few thousand rows), not a scan of the histogram: the
            # planner cannot know how few rows a list of ranges selects, and would hash the whole table.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(sql, [*wanted_params, *params])
        for platform_id, category, kind, minute, n in cursor.fetchall():
            out[(platform_id, category, kind, minute // BLOCK_MINUTES)].append((minute, int(n)))
    return out
