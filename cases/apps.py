from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Takedown cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import (  # noqa: F401
            bench_sql,  # the bench middleware's deploy check
            checks,  # patuh.E001: rows of a platform declare their scoping
            search,  # the `locates` lookup of the search boxes
            signals,  # login receivers
        )


class PatuhAdminConfig(AdminConfig):
    """The default admin site is the ministry console (`cases.sites.MinistrySite`)."""

    default_site = "cases.sites.MinistrySite"
