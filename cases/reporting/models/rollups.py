"""Rollup tables: the report figures, kept up to date by the services that change cases.

Why: at millions of cases the reports could no longer count the cases table on every request. Every
figure the reports count is a function of a case's stored state (status, the timestamps, `is_late`),
never of the current time, so it can be counted once, when the state changes, and summed per request.
`cases.core.recorders.rollups` is the one place that writes these tables: the transition service, bulk
submission and the sweeper call it in their own transactions, and `rebuild_rollups` recomputes them
from the cases after a bulk load.

The one figure that depends on the current time, which open cases are "due within 1 h", is not here: the
dashboards count it live from the awaiting cases due within the hour (the partial index `case_awaiting_due`),
and take it from the stored count of awaiting cases not yet overdue (`OpenRollup`) to get "on time".
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core.choices import Category, Tier
from cases.core.scoping import ScopedQuerySet


class RollupQuerySet(ScopedQuerySet):
    """A liaison reads only their platforms' rows. Rollups only ever count submitted cases, which are exactly
    the cases a liaison may see."""

    scope_platform = "platform"


class CaseRollup(models.Model):
    """Counts per Jakarta day, platform, category and urgency tier (the definitions: docs/reports.md).

    Two kinds of counts share the row, both keyed by a Jakarta calendar day:
    - the *orders of the day*: the submission cycles opened on it (a first submission or a reopening),
      counted by their current state. `received` counts the first submissions only (the cases first sent
      that day). When a cycle is later acknowledged, actioned, objected, withdrawn..., its row changes (old
      state out, new state in); a cycle that was reopened keeps every fact it had;
    - *events of the day*: objections lodged, actions reported (and of those, the late ones) and deadlines
      missed (`overdue_at`) on that day, each in the cycle it belongs to.
    """

    day = models.DateField(_("day"))
    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    # The orders (cycles) opened that day.
    received = models.IntegerField(_("received"), default=0)
    orders = models.IntegerField(_("orders"), default=0)
    acknowledged = models.IntegerField(_("acknowledged"), default=0)
    actioned = models.IntegerField(_("actioned"), default=0)
    on_time = models.IntegerField(_("met the deadline"), default=0)
    missed = models.IntegerField(_("missed the deadline"), default=0)
    objection_pending = models.IntegerField(_("objection pending within the deadline"), default=0)
    overdue_now = models.IntegerField(_("overdue now"), default=0)
    withdrawn = models.IntegerField(_("withdrawn"), default=0)
    open = models.IntegerField(_("open"), default=0)
    # Events of the day.
    objected = models.IntegerField(_("objections lodged that day"), default=0)
    actioned_on_day = models.IntegerField(_("actioned that day"), default=0)
    late_on_day = models.IntegerField(_("actioned late that day"), default=0)
    overdue_on_day = models.IntegerField(_("became overdue that day"), default=0)

    objects = RollupQuerySet.as_manager()

    COHORT_FIELDS = ("received", "orders", "acknowledged", "actioned", "on_time", "missed", "objection_pending",
                     "overdue_now", "withdrawn", "open")
    DAY_FIELDS = ("objected", "actioned_on_day", "late_on_day", "overdue_on_day")
    KEY_FIELDS = ("day", "platform_id", "category", "tier")

    class Meta:
        verbose_name = _("case rollup")
        verbose_name_plural = _("case rollups")
        constraints = [
            models.UniqueConstraint(fields=["day", "platform", "category", "tier"], name="case_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.platform_id} {self.category} {self.tier}"


class OpenRollup(models.Model):
    """The open orders now, per platform, category and tier, by where each stands: awaiting the platform (not
    yet overdue, or overdue: the sweeper's stored mark), actioned and awaiting the ministry's verification, or
    objected and awaiting a decision. One row per cell, however many years of cases: the dashboards read a few
    rows instead of counting the open cases (1.2 million of them in the 10M benchmark's data)."""

    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    awaiting = models.IntegerField(_("awaiting the platform, not overdue"), default=0)
    overdue = models.IntegerField(_("awaiting the platform, overdue"), default=0)
    actioned = models.IntegerField(_("actioned, awaiting verification"), default=0)
    objected = models.IntegerField(_("objected, awaiting a decision"), default=0)

    objects = RollupQuerySet.as_manager()

    COUNT_FIELDS = ("awaiting", "overdue", "actioned", "objected")
    KEY_FIELDS = ("platform_id", "category", "tier")

    class Meta:
        verbose_name = _("open orders count")
        verbose_name_plural = _("open orders counts")
        constraints = [models.UniqueConstraint(fields=["platform", "category", "tier"], name="open_rollup_key")]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.category} {self.tier}"


ACK = "ack"
ACTION = "action"
KIND_CHOICES = ((ACK, _("to acknowledge")), (ACTION, _("to action")))


class MinuteHistogram(models.Model):
    """Counts of cycles per platform, category, tier, duration kind and whole minute (the histograms below)."""

    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    kind = models.CharField(_("duration"), max_length=10, choices=KIND_CHOICES)
    minute = models.IntegerField(_("whole minutes"))
    n = models.IntegerField(_("cycles"), default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        abstract = True


class DurationRollup(MinuteHistogram):
    """All history: how many cycles took each whole number of minutes to be acknowledged and to be actioned,
    with half-hour block totals (`minute` < 0: block -minute - 1).

    Durations are whole minutes (docs/reports.md), so a percentile read from these counts is exact. The
    all-history report reads this table; periods read `WindowHistogram` or `DurationHistogram`.
    """

    ACK = ACK
    ACTION = ACTION
    KIND_CHOICES = KIND_CHOICES

    KEY_FIELDS = ("platform_id", "category", "tier", "kind", "minute")

    class Meta:
        verbose_name = _("duration histogram bucket")
        verbose_name_plural = _("duration histogram buckets")
        constraints = [
            models.UniqueConstraint(fields=["platform", "category", "tier", "kind", "minute"],
                                    name="duration_rollup_key"),
        ]
        # The all-history percentiles merge the tiers per (platform, category, kind) and number the buckets
        # in minute order: read in this order, that needs no sort (cases.reporting.reports.histogram_percentiles).
        indexes = [
            models.Index(fields=["platform", "category", "kind", "minute"], include=["n"],
                         name="duration_rollup_merge"),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.category} {self.tier} {self.kind} {self.minute}"


class DurationHistogram(MinuteHistogram):
    """Per Jakarta day (the day the cycles were opened), platform, category and tier: how many cycles took each
    whole number of minutes to be acknowledged and to be actioned.

    Durations are whole minutes (docs/reports.md), so the counts of a period's days add up to the period's
    exact histogram, and a percentile read from it is exact (`cases.reporting.reports.period_durations`).
    """

    day = models.DateField(_("day"))

    KEY_FIELDS = ("day", "platform_id", "category", "tier", "kind", "minute")

    class Meta:
        verbose_name = _("daily duration histogram bucket")
        verbose_name_plural = _("daily duration histogram buckets")
        constraints = [
            models.UniqueConstraint(fields=["day", "platform", "category", "tier", "kind", "minute"],
                                    name="duration_histogram_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.platform_id} {self.category} {self.tier} {self.kind} {self.minute}"


class WindowHistogram(MinuteHistogram):
    """The minute histograms of the standard reporting windows: the cycles opened in the `days` Jakarta days
    ending with `as_of` (the last 30 and the last 90 days, which the dashboards and the API's default report
    ask for), per platform, category and tier, with half-hour block totals (`minute` < 0: block -minute - 1).

    Why: a percentile over a month's cycles at ten million cases reads ~800,000 daily histogram rows; the window
    holds the month already summed, and its block totals let a percentile read only the minutes of the block it
    lands in (`cases.reporting.durations`). A window is built from the daily histograms on first use each day
    (`cases.core.recorders.rollups.ensure_window`) and kept up to date by every writer of the rollups after that.
    """

    days = models.SmallIntegerField(_("days"))
    as_of = models.DateField(_("last day"))

    KEY_FIELDS = ("days", "as_of", "platform_id", "category", "kind", "minute", "tier")

    class Meta:
        verbose_name = _("window duration histogram bucket")
        verbose_name_plural = _("window duration histogram buckets")
        constraints = [
            models.UniqueConstraint(fields=["days", "as_of", "platform", "category", "kind", "minute", "tier"],
                                    name="window_histogram_key"),
        ]

    def __str__(self) -> str:
        return f"{self.days}d to {self.as_of} {self.platform_id} {self.category} {self.kind} {self.minute}"


class HistogramWindow(models.Model):
    """That the window of `days` days ending `as_of` has been built (`WindowHistogram`)."""

    days = models.SmallIntegerField(_("days"))
    as_of = models.DateField(_("last day"))
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("histogram window")
        verbose_name_plural = _("histogram windows")
        constraints = [models.UniqueConstraint(fields=["days", "as_of"], name="histogram_window_key")]

    def __str__(self) -> str:
        return f"{self.days}d to {self.as_of}"
