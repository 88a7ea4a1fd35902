"""The two consoles: the ministry's (`admin.site`, a `MinistrySite`) and the platforms' (`platform_site`)."""

from cases.admin import evidence, ministry, platform  # noqa: F401 - registers the ModelAdmins
from cases.sites import platform_site

__all__ = ["platform_site"]
