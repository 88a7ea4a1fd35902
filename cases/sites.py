"""The two consoles: the ministry's at /admin/, the platforms' at /platform/.

A liaison who is not ministry staff gets 404 anywhere under /admin/ (the console does not exist for them),
and ministry staff without a platform membership cannot enter /platform/.
"""

import math

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core.roles import is_ministry, liaison_platform_ids


class SecondFactorLoginMixin:
    """An optional one-time code on the login form: a user with a confirmed device must give a current code
    or an unused backup code. A missing or wrong code fails like a wrong password, with the same message, and
    django-axes counts it (cases.accounts.services.twofactor.check_login_code)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["otp_token"] = forms.CharField(
            label=_("One-time code"), required=False, max_length=32, strip=True,
            help_text=_("From your authenticator app, or a backup code. Only if you have set up two-step login."),
            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
        )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None:
            from cases.accounts.services.twofactor import check_login_code

            if not check_login_code(self.request, user, cleaned.get("otp_token"),
                                    username=cleaned.get("username")):
                self.user_cache = None
                raise self.get_invalid_login_error()
        return cleaned


class MinistryAuthenticationForm(SecondFactorLoginMixin, AdminAuthenticationForm):
    pass


class MinistrySite(admin.AdminSite):
    site_header = _("Patuh · ministry console")
    site_title = _("Patuh")
    index_title = _("Takedown orders, deadlines and compliance")
    index_template = "patuh/ministry_index.html"
    site_url = None  # no public site behind the console
    login_form = MinistryAuthenticationForm

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and is_ministry(user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        for attr in ("csrf_exempt", "login_url"):
            if hasattr(inner, attr):
                setattr(guarded, attr, getattr(inner, attr))
        return guarded

    def index(self, request, extra_context=None):
        from cases.reporting.admin.dashboards import ministry_dashboard

        return super().index(request, extra_context={**ministry_dashboard(request), **(extra_context or {})})

    def get_urls(self):
        from cases.accounts.views.twofactor import twofactor_urls
        from cases.cases.admin.work import work_urls
        from cases.evidence.admin.integrity import integrity_urls

        return [*twofactor_urls(self), *work_urls(self), *integrity_urls(self), *super().get_urls()]


class LiaisonAuthenticationForm(SecondFactorLoginMixin, AdminAuthenticationForm):
    """Liaisons are not Django staff; they may log in here if they hold an active platform membership."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _("Please enter the correct username and password for a platform liaison account."),
    }

    def confirm_login_allowed(self, user):
        if not user.is_active or not liaison_platform_ids(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})


class PlatformSite(admin.AdminSite):
    site_header = _("Patuh · platform console")
    site_title = _("Patuh for platforms")
    index_title = _("Your takedown orders")
    index_template = "patuh/platform_index.html"
    site_url = None
    login_form = LiaisonAuthenticationForm
    enable_nav_sidebar = False

    def has_permission(self, request):
        return request.user.is_active and bool(liaison_platform_ids(request.user))

    def admin_view(self, view, cacheable=False):
        """Anything a liaison may not do answers 404, like anything they may not see."""
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied as err:
                raise Http404 from err

        guarded.__wrapped__ = inner
        return guarded

    def get_urls(self):
        from django.urls import path

        from cases.accounts.views.twofactor import twofactor_urls
        from cases.reporting.admin.dashboards import scorecard_view

        return [path("scorecard/", self.admin_view(scorecard_view(self)), name="scorecard"), *twofactor_urls(self),
                *super().get_urls()]

    def index(self, request, extra_context=None):
        from cases.reporting.admin.dashboards import platform_dashboard

        return super().index(request, extra_context={**platform_dashboard(request), **(extra_context or {})})


platform_site = PlatformSite(name="platform")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), in the console the person was logging in to.

    It says when they can try again. It does not say whether the username exists: any username is locked
    the same way.
    """
    from axes.helpers import get_cool_off

    match = getattr(request, "resolver_match", None)
    site = platform_site if match is not None and match.namespace == platform_site.name else admin.site
    cool_off = get_cool_off(request)
    attempt_at = getattr(request, "axes_attempt_time", None) or timezone.now()
    request.current_app = site.name
    context = {
        **site.each_context(request),
        "title": _("Too many failed logins"),
        "retry_at": attempt_at + cool_off,
        "minutes": max(1, math.ceil(cool_off.total_seconds() / 60)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "login_url": reverse(f"{site.name}:login"),
    }
    return render(request, "security/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
