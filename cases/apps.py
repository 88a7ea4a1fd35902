from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Takedown cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import (  # noqa: F401
            bench_sql,  # the bench middleware's deploy check
            checks,  # patuh.E001: rows of a platform declare their scoping
            signals,  # login receivers
        )
        from cases.cases import (  # noqa: F401
            search,  # the `locates` lookup of the search boxes
        )
        from cases.core.cache import create_cache_table

        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="patuh-create-cache-table")
        post_migrate.connect(rebuild_rollups_after_migrate, sender=self, dispatch_uid="patuh-rebuild-rollups")
        post_migrate.connect(restore_defaults_after_flush, sender=self, dispatch_uid="patuh-restore-defaults")


def restore_defaults_after_flush(sender, using="default", plan=None, **kwargs):
    """The rows the data migrations made and the product needs (the role groups with their permissions, a
    deadline policy per category), made again after `flush`, which empties every table and then sends
    post_migrate without a migration plan. The test suite flushes after each transactional test, and a test
    run in parallel (pytest-xdist) may run a reader of those rows after one. A real `migrate` (with a plan) has
    its data migrations for them. Idempotent."""
    if plan is not None:
        return
    from cases.core.recorders.deadlines import ensure_default_policies
    from cases.core.roles import sync_role_groups

    if using == "default":
        sync_role_groups()
    ensure_default_policies(using)


def rebuild_rollups_after_migrate(sender, using="default", plan=None, **kwargs):
    """A migration that rewrites what the rollups count (0018, the submission cycles) sets
    `rebuild_rollups_after = True`, or `"open"` when only the open orders' counts are new (0019), instead of
    calling the rebuild itself: a migration runs against the tables as they were then, and the rebuild is
    today's code, written for today's tables. After `migrate` has applied such a migration (and everything
    after it), the rollups are rebuilt once, here."""
    asked = {getattr(migration, "rebuild_rollups_after", False) for migration, backwards in plan or ()
             if not backwards}
    if True in asked:
        from cases.core.recorders.rollups import rebuild_rollups

        rebuild_rollups(using=using)
    elif "open" in asked:
        from cases.core.recorders.rollups import rebuild_open_rollups

        rebuild_open_rollups(using=using)


class PatuhAdminConfig(AdminConfig):
    """The default admin site is the ministry console (`cases.sites.MinistrySite`)."""

    default_site = "cases.sites.MinistrySite"
