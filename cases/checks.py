"""Start-up checks (Django's system checks: `manage.py check`, and every runserver, migrate and test run).

patuh.E001: every model whose rows belong to a platform declares its scoping, so no console, API view or
download can serve it unscoped. Declaring means a default manager whose QuerySet is a
`cases.core.scoping.ScopedQuerySet` that names where its platform, case and visibility are, or
`cases.core.scoping.MinistryOnlyQuerySet` for rows no liaison reads. A hand-written `visible_to` does not count.
"""

from django.apps import apps
from django.core.checks import Error, Tags, register

from cases.core.scoping import declares_scoping, platform_path


@register(Tags.models)
def platform_rows_declare_scoping(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for model in apps.get_models():
        if app_configs is not None and model._meta.app_config not in app_configs:
            continue
        if model._meta.auto_created:  # a many-to-many's own table: read through its owner
            continue
        path = platform_path(model)
        if path is not None and not declares_scoping(model):
            errors.append(Error(
                f"{model._meta.label} holds rows of a platform (through {path}) but declares no scoping.",
                hint="Give it a default manager built on cases.core.scoping.ScopedQuerySet (set scope_platform, and "
                     "scope_case / scope_visibility / scope_extra as they apply), or on "
                     "cases.core.scoping.MinistryOnlyQuerySet if no liaison may read it.",
                obj=model, id="patuh.E001"))
    return errors
