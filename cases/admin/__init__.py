"""The two consoles: the ministry's (`admin.site`, a `MinistrySite`) and the platforms' (`platform_site`)."""

from cases.admin import (  # noqa: F401 - registers the ModelAdmins
    accounts,  # the user page, recording who deactivates
    evidence,
    hashes,  # re-upload matches and hash lists
    ministry,
    platform,
    published,  # published reports (issue 14)
    rechecks,  # re-check lists, hosts; the case page's re-check buttons come through cases.admin.cases
    tokens,  # noqa: F401 - API tokens in both consoles
    webhooks,  # noqa: F401 - webhook endpoints and the delivery log in both consoles
)
from cases.sites import platform_site

__all__ = ["platform_site"]
