"""How a time and a ratio read on every page, notice and message: one form per language (issue 13).

A time reads in the format module's DATETIME_FORMAT for the active language (portal/formats/<lang>/formats.py):
"1 Des 2026 11.06 WIB" in Indonesian, "1 Dec 2026 11:06 WIB" in English, always in the platform's time zone
(Asia/Jakarta) with its abbreviation. Templates use the `when` filter (cases.templatetags.patuh_labels), Python
code `when()`; nobody formats a time by hand.

A ratio (compliance, on time, ...) reads as a whole percentage: "67 %" in Indonesian (PUEBI: a space before the
sign), "67%" in English. The scorecard, both dashboards and the commitment page use `percent()`.

The time zones a liaison may enter a time in (`ZONE_CHOICES`): the three Indonesian zones first, then common ones,
then every IANA zone Python knows.
"""

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFAULT_ZONE = "Asia/Jakarta"

# The zones a liaison is most likely in, first; labelled with the abbreviation people use.
COMMON_ZONES = [
    ("Asia/Jakarta", _("Western Indonesia (WIB, UTC+7) – Jakarta")),
    ("Asia/Makassar", _("Central Indonesia (WITA, UTC+8) – Makassar")),
    ("Asia/Jayapura", _("Eastern Indonesia (WIT, UTC+9) – Jayapura")),
    ("UTC", _("UTC")),
    ("Asia/Singapore", _("Singapore (UTC+8)")),
    ("Asia/Dubai", _("Dubai (UTC+4)")),
    ("Europe/Dublin", _("Dublin (GMT/IST)")),
    ("Europe/London", _("London (GMT/BST)")),
    ("America/Los_Angeles", _("Los Angeles (PST/PDT)")),
    ("America/New_York", _("New York (EST/EDT)")),
    ("Asia/Tokyo", _("Tokyo (UTC+9)")),
]


@cache
def all_zones() -> frozenset[str]:
    return frozenset(z for z in available_timezones() if "/" in z or z == "UTC")


def zone_choices():
    """For a <select>: the common zones, then all the others (an <optgroup> each)."""
    common = {z for z, _label in COMMON_ZONES}
    return [(_("Common time zones"), COMMON_ZONES),
            (_("All time zones"), [(z, z.replace("_", " ")) for z in sorted(all_zones() - common)])]


def is_zone(name: str) -> bool:
    return name in all_zones()


def in_zone(wall: datetime, zone: str) -> datetime | None:
    """The instant a wall-clock time (naive) in `zone` names; None if clocks skipped that time there (a spring
    change). A time that happens twice (an autumn change) is taken as the first."""
    tz = ZoneInfo(zone)
    aware = wall.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if back.replace(tzinfo=None) != wall:
        return None
    return aware


def when(value: datetime | None, default: str = "—") -> str:
    """A moment as the pages show it: DATETIME_FORMAT of the active language, in the platform's time zone."""
    if value is None or value == "":
        return default
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def percent(numerator, denominator=None, default: str = "—") -> str:
    """A ratio as a whole percentage in the active language: "67 %" (id), "67%" (en). `percent(0.667)` or
    `percent(10, 15)`; no denominator (0 or None with two arguments) reads `default`."""
    if denominator is not None:
        if not denominator or numerator is None:
            return default
        ratio = numerator / denominator
    else:
        if numerator is None or numerator == "":
            return default
        ratio = float(numerator)
    figure = f"{round(ratio * 100):d}"
    return f"{figure} %" if (get_language() or "id").startswith("id") else f"{figure}%"
