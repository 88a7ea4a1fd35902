"""API tokens in both consoles: everyone manages their own; administrators may revoke anyone's.

A new key is shown once, on the page that answers the creation, and is stored nowhere (not in a message
cookie, not in the session, not in the admin log): only its prefix and SHA-256 are kept.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.api.services.tokens import create_token, may_hold_token, revoke_token
from cases.core import clock
from cases.core.admin.base import ScopedAdmin
from cases.models import ApiToken
from cases.sites import platform_site


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= clock.now():
            raise ValidationError(_("The expiry must be in the future."))
        return value


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("usable", _("usable")), ("revoked", _("revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "usable":
            return queryset.usable()
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class ApiTokenAdmin(ScopedAdmin):
    form = TokenForm
    list_display = ["name", "prefix_display", "user", "created_at", "expires_at", "last_used_at", "state"]
    list_filter = [TokenStateFilter]
    list_select_related = ["user"]
    actions = ["revoke_selected"]
    DETAIL_FIELDS = ["name", "user", "prefix_display", "state", "created_at", "expires_at", "last_used_at",
                     "revoked_at", "revoked_by"]

    def get_fields(self, request, obj=None):
        return ["name", "expires_at"] if obj is None else self.DETAIL_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.DETAIL_FIELDS

    # Anyone who may enter the console may hold tokens; rows are scoped to their own (ApiToken.visible_to).
    def has_module_permission(self, request):
        return self.admin_site.has_permission(request) and may_hold_token(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False  # a token is never edited: revoke it and create another

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay, for the record of who could call the API when

    @admin.display(description=_("key"))
    def prefix_display(self, obj):
        return f"pth_{obj.prefix}_…"

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.is_revoked:
            return gettext("revoked")
        if obj.is_expired:
            return gettext("expired")
        return gettext("usable")

    @admin.action(description=_("Revoke selected tokens"))
    def revoke_selected(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                revoke_token(token, actor=request.user)
            except PermissionDenied as err:
                self.message_user(request, str(err), messages.ERROR)
                continue
            count += 1
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count},
                          messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        issued = create_token(actor=request.user, name=form.cleaned_data["name"],
                              expires_at=form.cleaned_data.get("expires_at"))
        for f in ApiToken._meta.concrete_fields:
            setattr(obj, f.attname, getattr(issued.token, f.attname))
        obj._state.adding = False
        request._patuh_new_token_key = issued.key  # lives only for this request

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "title": gettext("Your new API token"), "token": obj,
            "key": getattr(request, "_patuh_new_token_key", ""),
        }
        response = TemplateResponse(request, "api/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response


admin.site.register(ApiToken, ApiTokenAdmin)
platform_site.register(ApiToken, ApiTokenAdmin)
