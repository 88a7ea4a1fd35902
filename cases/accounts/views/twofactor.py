"""Two-step login pages in both consoles: set up, verify a session, regenerate backup codes, remove the device.

Wired into each console by `twofactor_urls(site)` (cases/sites.py), so every page runs inside the site's
admin_view: logged in, allowed in that console, and `Cache-Control: no-store` (the secret and the backup codes
must never be cached). The rule for who must use them is in cases.accounts.services.twofactor.
"""

import django_otp
from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cases.accounts.services import twofactor


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )


def _render(request, site, template, context, status=200):
    request.current_app = site.name
    response = TemplateResponse(request, template, {**site.each_context(request), **context}, status=status)
    add_never_cache_headers(response)
    return response


def _mark_verified(request, device):
    """The session is now verified with `device`; a new session key, as after any change of privilege."""
    request.session.cycle_key()
    django_otp.login(request, device)


def manage(request, site):
    user = request.user
    return _render(request, site, "twofactor/manage.html", {
        "title": _("Two-step login"),
        "enrolled": twofactor.is_enrolled(user),
        "required": twofactor.is_required(user),
        "codes_left": twofactor.backup_codes_left(user),
    })


@require_http_methods(["GET", "POST"])
def enrol(request, site):
    user = request.user
    if twofactor.is_enrolled(user):
        return redirect(f"{site.name}:twofactor")
    device = twofactor.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(user, device, form.cleaned_data["otp_token"])
        if codes is not None:
            device.refresh_from_db()
            _mark_verified(request, device)
            return _render(request, site, "twofactor/backup_codes.html", {
                "title": _("Two-step login is set up: your backup codes"), "codes": codes, "first_time": True,
            })
        form.add_error("otp_token", _("That code is not right. Check your phone's clock and try the next code."))
    return _render(request, site, "twofactor/enrol.html", {
        "title": _("Set up two-step login"),
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_base32(device),
        "required": twofactor.is_required(user),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def verify(request, site):
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse(f"{site.name}:index")
    if not twofactor.is_enrolled(user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify_code(user, form.cleaned_data["otp_token"])
        if device is not None:
            _mark_verified(request, device)
            return redirect(next_url)
        form.add_error("otp_token", _("That code is not right."))
    return _render(request, site, "twofactor/verify.html", {
        "title": _("Enter your two-step login code"), "form": form, "next": next_url,
    }, status=400 if form.errors else 200)


def _confirm_with_code(request, site, *, title: str, action: str, on_confirmed, **context):
    """Ask an enrolled user for a current code; when it is right, return `on_confirmed()`'s response."""
    if not twofactor.is_enrolled(request.user):
        return redirect(f"{site.name}:twofactor")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify_code(request.user, form.cleaned_data["otp_token"]) is not None:
            return on_confirmed()
        form.add_error("otp_token", _("That code is not right."))
    return _render(request, site, "twofactor/confirm.html", {
        "title": title, "form": form, "action": action, **context,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def backup_codes(request, site):
    """New backup codes (the old ones stop working), after a current code."""

    def confirmed():
        codes = twofactor.regenerate_backup_codes(request.user)
        return _render(request, site, "twofactor/backup_codes.html", {
            "title": _("Your new backup codes"), "codes": codes, "first_time": False,
        })

    return _confirm_with_code(request, site, title=_("New backup codes"), action="backup", on_confirmed=confirmed)


@require_http_methods(["GET", "POST"])
def remove(request, site):
    """Remove the authenticator and the backup codes (to replace a phone), after a current code."""
    user = request.user

    def confirmed():
        twofactor.remove_devices(user)
        request.session.cycle_key()
        if twofactor.is_required(user):
            messages.info(request, _("Two-step login was removed. Set it up again with your new phone."))
            return redirect(f"{site.name}:twofactor-enrol")
        messages.info(request, _("Two-step login was removed."))
        return redirect(f"{site.name}:twofactor")

    return _confirm_with_code(request, site, title=_("Remove two-step login"), action="remove",
                              on_confirmed=confirmed, required=twofactor.is_required(user))


def twofactor_urls(site):
    def bind(view):
        def bound(request):
            return view(request, site)

        return site.admin_view(bound)

    return [
        path("two-step/", bind(manage), name="twofactor"),
        path("two-step/set-up/", bind(enrol), name="twofactor-enrol"),
        path("two-step/verify/", bind(verify), name="twofactor-verify"),
        path("two-step/backup-codes/", bind(backup_codes), name="twofactor-backup"),
        path("two-step/remove/", bind(remove), name="twofactor-remove"),
    ]
