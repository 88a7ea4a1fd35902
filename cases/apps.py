from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Takedown cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import bench_sql, signals  # noqa: F401 - login receivers; the bench middleware's deploy check


class PatuhAdminConfig(AdminConfig):
    """The default admin site is the ministry console (`cases.sites.MinistrySite`)."""

    default_site = "cases.sites.MinistrySite"
