"""The ministry console. A plain registration for now, so the demo can be explored; the full consoles
(ministry and platform) are built on the same services and scoping rule."""

from cases.admin import evidence, registry  # noqa: F401 - registers the ModelAdmins
