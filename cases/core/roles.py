"""Roles are Django groups; this module is the only place that reads them.

It sits below the models (the models' `visible_to` read it): it imports no model, at module level or in a function.

Why groups: administrators manage them in the console like any other permission set, and the data
migration keeps their permissions in step with `ROLE_PERMISSIONS` below.
"""

from django.utils.translation import gettext_lazy as _

ANALYST = "analyst"
SUPERVISOR = "supervisor"
ADMINISTRATOR = "administrator"
AUDITOR = "auditor"
LIAISON = "liaison"

ROLE_LABELS = {
    ANALYST: _("Analyst"),
    SUPERVISOR: _("Supervisor"),
    ADMINISTRATOR: _("Administrator"),
    AUDITOR: _("Auditor"),
    LIAISON: _("Platform liaison"),
}
MINISTRY_ROLES = frozenset({ANALYST, SUPERVISOR, ADMINISTRATOR, AUDITOR})
# Roles that may change operational data (auditors only read).
MINISTRY_WRITERS = frozenset({ANALYST, SUPERVISOR, ADMINISTRATOR})

_VIEW = "view"
_ALL = ("add", "change", "delete", "view")

# model name -> actions, per role. Permissions gate the consoles; the workflow table gates transitions.
_OPERATIONAL_READ = {
    m: (_VIEW,)
    for m in (
        "platform", "platformmembership", "case", "caseevent", "evidence", "custodyevent", "meeting",
        "commitment", "commitmentupdate", "sanction", "deadlinepolicy", "deadlineoverride", "finepolicy",
        "finefactorvalue", "notification", "imagehash", "hashmatch", "hashlist", "submissioncycle",
        "publishedreport", "sanctioncase", "sanctionevent", "commitmentevent", "letter", "lettertemplate",
    )
}
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    AUDITOR: {**_OPERATIONAL_READ},
    ANALYST: {
        **_OPERATIONAL_READ,
        "case": ("add", "change", "view"),
        "evidence": ("add", "view"),
        "caseevent": ("add", "view"),
        "hashmatch": ("change", "view"),  # confirm or dismiss a possible re-upload
        "hashlist": ("add", "view"),  # import a partner's hash list
    },
    SUPERVISOR: {
        **_OPERATIONAL_READ,
        "case": ("add", "change", "view"),
        "evidence": ("add", "view"),
        "caseevent": ("add", "view"),
        "hashmatch": ("change", "view"),
        "hashlist": ("add", "view"),
        "platform": ("add", "change", "view"),
        "meeting": _ALL,
        "commitment": _ALL,
        "commitmentupdate": ("add", "view"),
        "sanction": ("add", "change", "view"),
        "deadlinepolicy": ("add", "change", "view"),
        "deadlineoverride": _ALL,
        "finepolicy": ("add", "change", "view"),
        "finefactorvalue": _ALL,
        "publishedreport": ("add", "view"),
    },
    LIAISON: {
        "platform": (_VIEW,),
        "case": (_VIEW,),
        "caseevent": ("add", "view"),
        "evidence": ("add", "view"),
        "commitment": (_VIEW,),
        "commitmentupdate": ("add", "view"),
        "sanction": (_VIEW,),
        "sanctionevent": (_VIEW,),
        "commitmentevent": (_VIEW,),
        "letter": (_VIEW,),
        "submissioncycle": (_VIEW,),
    },
}
# Administrators get every permission of this app and of auth (users, groups).
ADMINISTRATOR_APPS = ("cases", "auth", "axes")  # axes: lift a lockout early, read the attempts


def roles_of(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_patuh_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=ROLE_LABELS).values_list("name", flat=True))
        if user.is_superuser:
            names.add(ADMINISTRATOR)
        cached = frozenset(names)
        user._patuh_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_ministry(user) -> bool:
    return bool(roles_of(user) & MINISTRY_ROLES)


def liaison_platform_ids(user) -> frozenset[int]:
    """Platforms the user may act for as a liaison: active memberships, and only with the liaison role."""
    if LIAISON not in roles_of(user):
        return frozenset()
    cached = getattr(user, "_patuh_platform_ids", None)
    if cached is None:
        # Through the user's reverse relation: this module imports no model, so models may import it.
        cached = frozenset(user.platform_memberships.filter(is_active=True).values_list("platform_id", flat=True))
        user._patuh_platform_ids = cached
    return cached


def sync_role_groups(apps=None) -> None:
    """Create the five role groups and set their permissions to exactly `ROLE_PERMISSIONS`.

    Takes a migration's app registry so the data migration and `quickstart` share one definition.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate finishes; make sure they exist now. A migration's app
    # configs have no models module, which create_permissions skips: lend them one for the call, then put back
    # what was there (the global registry's real modules, which post_migrate needs to reach the apps).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLE_LABELS:
        group, _created = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATOR:
            perms = Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
        else:
            codenames = [f"{action}_{model}" for model, actions in ROLE_PERMISSIONS[role].items()
                         for action in actions]
            perms = Permission.objects.filter(content_type__app_label="cases", codename__in=codenames)
        group.permissions.set(perms)
