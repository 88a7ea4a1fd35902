"""Indonesian: one date-time form everywhere (issue 13), "1 Des 2026 11.06 WIB" (PUEBI: a full stop between
hours and minutes, 24-hour clock), always with the zone's abbreviation. Django's own id module supplies the rest
(the input formats)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H.i"
DATETIME_FORMAT = "j M Y H.i T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j M"
