"""Rollup tables: the report figures, kept up to date by the services that change cases.

Why: at millions of cases the reports could no longer count the cases table on every request. Every
figure the reports count is a function of a case's stored state (status, the timestamps, `is_late`),
never of the current time, so it can be counted once, when the state changes, and summed per request.
`cases.services.rollups` is the one place that writes these tables: the transition service, bulk
submission and the sweeper call it in their own transactions, and `rebuild_rollups` recomputes them
from the cases after a bulk load.

The figures that depend on the current time ("due within 1 h", "on time" of open cases) are not here:
the reports read those live from the open cases only, through the partial indexes on open statuses.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, Tier
from cases.scoping import scope


class RollupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one scoping rule: a liaison reads only their platforms' rows. Rollups only ever count
        submitted cases, which are exactly the cases a liaison may see."""
        return scope(self, user, platform="platform")


class CaseRollup(models.Model):
    """Counts per Jakarta day, platform, category and urgency tier.

    Two kinds of counts share the row, both keyed by a Jakarta calendar day:
    - the *submission cohort* of the day (cases whose `submitted_at` falls on it), counted by their
      current state: what `reports.compliance_report` and the transparency report count. When a case of
      the cohort is later acknowledged, actioned, withdrawn..., its cohort row changes (old state out,
      new state in);
    - *events of the day*: cases whose current `actioned_at` (and of those, the late ones) or `overdue_at`
      falls on it: the daily series. A reopened case leaves its action day; a new overdue mark joins its day.
    """

    day = models.DateField(_("day"))
    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    # The submission cohort of the day.
    received = models.IntegerField(_("received"), default=0)
    acknowledged = models.IntegerField(_("acknowledged"), default=0)
    actioned = models.IntegerField(_("actioned"), default=0)
    on_time = models.IntegerField(_("actioned on time"), default=0)
    overdue_now = models.IntegerField(_("overdue now"), default=0)
    objected = models.IntegerField(_("objected"), default=0)
    withdrawn = models.IntegerField(_("withdrawn"), default=0)
    open = models.IntegerField(_("open"), default=0)
    # Events of the day.
    actioned_on_day = models.IntegerField(_("actioned that day"), default=0)
    late_on_day = models.IntegerField(_("actioned late that day"), default=0)
    overdue_on_day = models.IntegerField(_("became overdue that day"), default=0)

    objects = RollupQuerySet.as_manager()

    COHORT_FIELDS = ("received", "acknowledged", "actioned", "on_time", "overdue_now", "objected", "withdrawn",
                     "open")
    DAY_FIELDS = ("actioned_on_day", "late_on_day", "overdue_on_day")
    KEY_FIELDS = ("day", "platform_id", "category", "tier")

    class Meta:
        verbose_name = _("case rollup")
        verbose_name_plural = _("case rollups")
        constraints = [
            models.UniqueConstraint(fields=["day", "platform", "category", "tier"], name="case_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.platform_id} {self.category} {self.tier}"


class DurationRollup(models.Model):
    """A histogram of the hours to acknowledge and to action, over all history, in one-minute buckets.

    Why: exact percentiles cannot be summed from daily rows, and computing them over every case ever
    submitted sorts millions of values. The all-history report reads this instead. Each bucket keeps its
    count and the exact sum of its durations (microseconds), and a percentile takes the mean of the
    bucket it falls in: exact when the bucket holds one value (or equal values), otherwise off by less
    than one minute (0.0167 h). Periods that do not cover all history are computed exactly from the cases.
    There is no day in the key on purpose: per day, the buckets would be as many as the cases.
    """

    ACK = "ack"
    ACTION = "action"
    KIND_CHOICES = ((ACK, _("to acknowledge")), (ACTION, _("to action")))

    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.CASCADE,
                                 related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    kind = models.CharField(_("duration"), max_length=10, choices=KIND_CHOICES)
    minute = models.IntegerField(_("whole minutes"))
    n = models.IntegerField(_("cases"), default=0)
    total_us = models.BigIntegerField(_("sum of durations (microseconds)"), default=0)

    objects = RollupQuerySet.as_manager()

    KEY_FIELDS = ("platform_id", "category", "tier", "kind", "minute")

    class Meta:
        verbose_name = _("duration histogram bucket")
        verbose_name_plural = _("duration histogram buckets")
        constraints = [
            models.UniqueConstraint(fields=["platform", "category", "tier", "kind", "minute"],
                                    name="duration_rollup_key"),
        ]
        # The all-history percentiles merge the tiers per (platform, category, kind) and number the buckets
        # in minute order: read in this order, that needs no sort (cases.reports.histogram_percentiles).
        indexes = [
            models.Index(fields=["platform", "category", "kind", "minute"], include=["n", "total_us"],
                         name="duration_rollup_merge"),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id} {self.category} {self.tier} {self.kind} {self.minute}"
