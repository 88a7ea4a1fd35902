"""The two consoles: the ministry's (`admin.site`, a `MinistrySite`) and the platforms' (`platform_site`)."""

from cases.accounts.admin import (  # noqa: F401 - registers the ModelAdmins
    accounts,  # the user page, recording who deactivates
)
from cases.api.admin import (  # noqa: F401 - registers the ModelAdmins
    tokens,  # noqa: F401 - API tokens in both consoles
    webhooks,  # noqa: F401 - webhook endpoints and the delivery log in both consoles
)
from cases.cases.admin import (  # noqa: F401 - registers the ModelAdmins
    ministry,
    platform,
)
from cases.evidence.admin import (  # noqa: F401 - registers the ModelAdmins
    evidence,
    hashes,  # re-upload matches and hash lists
    rechecks,  # re-check lists, hosts; the case page's re-check buttons come through cases.cases.admin.cases
)
from cases.reporting.admin import (  # noqa: F401 - registers the ModelAdmins
    published,  # published reports (issue 14)
)
from cases.sites import platform_site

__all__ = ["platform_site"]
