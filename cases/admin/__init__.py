"""The two consoles: the ministry's (`admin.site`, a `MinistrySite`) and the platforms' (`platform_site`)."""

from cases.admin import (  # noqa: F401 - registers the ModelAdmins
    accounts,  # the user page, recording who deactivates
    evidence,
    ministry,
    platform,
    published,  # published reports (issue 14)
    tokens,  # noqa: F401 - API tokens in both consoles
)
from cases.sites import platform_site

__all__ = ["platform_site"]
