"""Webhooks in both consoles: endpoints (liaisons and administrators manage them; the ministry reads them) and
the delivery log with every attempt and a "redeliver" button (for the platform and the ministry alike).

Everything goes through `cases.api.services.webhooks`; rows through the one scoping rule (`ScopedAdmin`), so another
platform's endpoint or delivery answers 404. A new or rotated secret is shown once, on the page that answers
the request, and never again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from cases.api.services import webhooks
from cases.core import clock, display
from cases.core.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline
from cases.core.admin.filters import FilterSetAdmin
from cases.core.filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from cases.models import Platform, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventType
from cases.sites import platform_site


class EndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label=_("event types"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple,
        initial=[WebhookEventType.CASE_SUBMITTED, WebhookEventType.CASE_UPDATED],
        help_text=_("The events this endpoint receives."))
    url = forms.CharField(label=_("URL"), max_length=500, widget=forms.URLInput(attrs={"size": 70}),
                          help_text=_("Where events are POSTed: https://, on a public address."))

    class Meta:
        model = WebhookEndpoint
        fields = ["platform", "url", "event_types", "description", "is_active"]

    def clean_url(self):
        try:
            return webhooks.clean_url(self.cleaned_data.get("url", ""))
        except ValidationError as err:  # the service names the field; here it is this field's error
            raise ValidationError(err.message_dict.get("url", err.messages) if hasattr(err, "error_dict")
                                  else err.messages) from None


def _state(obj: WebhookEndpoint) -> str:
    if obj.disabled_at:
        return gettext("disabled")
    return gettext("active") if obj.is_active else gettext("paused")


class WebhookEndpointAdmin(FilterSetAdmin, ScopedAdmin):
    form = EndpointForm
    list_display = ["url", "platform", "events", "state", "failure_streak", "last_success_at", "deliveries_link"]
    filterset_class = WebhookEndpointFilterSet  # the API's filters (admin/filters.py)
    list_select_related = ["platform"]
    change_form_template = "webhooks/endpoint_change_form.html"
    readonly_info = ["platform", "state", "disabled_at", "disabled_reason", "failure_streak", "last_success_at",
                     "last_failure_at", "secret_rotated_at", "previous_secret_expires_at", "created_at"]

    # --- who may -------------------------------------------------------------------------------------------------
    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request):
        allowed = webhooks.manageable_platform_ids(request.user)
        return self.admin_site.has_permission(request) and (allowed is None or bool(allowed))

    def has_change_permission(self, request, obj=None):
        if not self.admin_site.has_permission(request):
            return False
        if obj is None:
            return self.has_add_permission(request)
        return webhooks.may_manage(request.user, obj.platform_id)

    def has_delete_permission(self, request, obj=None):
        return False  # an endpoint with a delivery log stays, for the record; pause it instead

    # --- the form ------------------------------------------------------------------------------------------------
    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if self.admin_site is platform_site and len(webhooks.manageable_platform_ids(request.user) or ()) <= 1:
            shown.remove("platform")
        return shown

    def get_fields(self, request, obj=None):
        fields = ["url", "event_types", "description", "is_active"]
        if obj is None and self._single_platform(request) is None:
            fields.insert(0, "platform")
        return fields if obj is None else [*fields, *self.readonly_info]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not self.has_change_permission(request, obj):
            return ["url", "event_types", "description", "is_active", *self.readonly_info]
        return self.readonly_info

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "platform":
            allowed = webhooks.manageable_platform_ids(request.user)
            platforms = Platform.objects.visible_to(request.user)
            kwargs["queryset"] = platforms if allowed is None else platforms.filter(pk__in=allowed)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _single_platform(self, request):
        allowed = webhooks.manageable_platform_ids(request.user)
        if allowed is not None and len(allowed) == 1:
            return Platform.objects.visible_to(request.user).filter(pk__in=allowed).first()
        return None

    @admin.display(description=_("events"))
    def events(self, obj):
        return ", ".join(obj.event_types)

    @admin.display(description=_("state"))
    def state(self, obj):
        return _state(obj)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj):
        url = reverse(f"{self.admin_site.name}:cases_webhookdelivery_changelist")
        return format_html('<a href="{}?endpoint={}">{}</a>', url, obj.pk, gettext("delivery log"))

    # --- saving through the service ---------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = webhooks.update_endpoint(obj, actor=request.user, url=data["url"],
                                                 event_types=data["event_types"],
                                                 description=data.get("description", ""),
                                                 is_active=data.get("is_active", False))
            else:
                platform = data.get("platform") or self._single_platform(request)
                saved = webhooks.create_endpoint(actor=request.user, platform=platform, url=data["url"],
                                                 event_types=data["event_types"],
                                                 description=data.get("description", ""),
                                                 is_active=data.get("is_active", False))
                request._patuh_new_secret = saved.secret  # lives only for this request
        except PermissionDenied as err:
            raise Http404 from err
        for f in WebhookEndpoint._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))
        obj._state.adding = False

    def response_add(self, request, obj, post_url_continue=None):
        return self.secret_page(request, obj, getattr(request, "_patuh_new_secret", ""), rotated=False)

    def secret_page(self, request, endpoint, secret: str, *, rotated: bool):
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "endpoint": endpoint, "secret": secret,
            "rotated": rotated, "title": gettext("The signing secret") if not rotated else gettext("The new secret"),
            "change_url": reverse(f"{self.admin_site.name}:cases_webhookendpoint_change", args=[endpoint.pk]),
        }
        response = TemplateResponse(request, "webhooks/secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    # --- rotating the secret -----------------------------------------------------------------------------------
    def get_urls(self):
        return [path("<int:object_id>/rotate-secret/", self.admin_site.admin_view(self.rotate_view),
                     name="cases_webhookendpoint_rotate"), *super().get_urls()]

    def rotate_view(self, request, object_id):
        endpoint = self.get_queryset(request).filter(pk=object_id).first()
        if endpoint is None or not webhooks.may_manage(request.user, endpoint.platform_id):
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        endpoint = webhooks.rotate_secret(endpoint, actor=request.user)
        return self.secret_page(request, endpoint, endpoint.secret, rotated=True)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                may_manage=webhooks.may_manage(request.user, obj.platform_id),
                rotate_url=reverse(f"{self.admin_site.name}:cases_webhookendpoint_rotate", args=[obj.pk]),
                recent=WebhookDelivery.objects.visible_to(request.user).filter(endpoint=obj)
                .select_related("case")[:10],
                deliveries_url=reverse(f"{self.admin_site.name}:cases_webhookdelivery_changelist")
                + f"?endpoint={obj.pk}",
                delivery_url_name=f"{self.admin_site.name}:cases_webhookdelivery_change",
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


class AttemptInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["number", "attempted_at", "status_code", "latency_ms", "error", "response_excerpt", "requested_by"]
    readonly_fields = fields
    can_delete = False
    verbose_name = _("attempt")
    verbose_name_plural = _("attempts (newest first)")

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)


class WebhookDeliveryAdmin(FilterSetAdmin, ReadOnlyMixin, ScopedAdmin):
    list_display = ["created_at", "event", "case", "endpoint", "status", "attempts", "last_status_code",
                    "delivered_at"]
    filterset_class = WebhookDeliveryFilterSet  # the API's filters and search (admin/filters.py)
    list_select_related = ["case", "endpoint"]
    fields = ["message_id", "event_type", "case", "endpoint", "status", "created_at", "attempts", "next_attempt_at",
              "delivered_at", "last_status_code", "last_error", "payload"]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver_selected"]
    change_form_template = "webhooks/delivery_change_form.html"

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    @admin.display(description=_("event type"), ordering="event_type")
    def event(self, obj):
        return obj.event_type

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._may_redeliver_any(request):
            actions.pop("redeliver_selected", None)
        return actions

    def _may_redeliver_any(self, request) -> bool:
        platforms = Platform.objects.visible_to(request.user).values_list("pk", flat=True)[:1]
        return any(webhooks.may_redeliver(request.user, pk) for pk in platforms)

    @admin.action(description=_("Redeliver selected deliveries (same webhook-id)"))
    def redeliver_selected(self, request, queryset):
        count = 0
        for delivery in queryset:
            try:
                webhooks.redeliver(delivery, actor=request.user)
            except (PermissionDenied, ValidationError) as err:
                self.message_user(request, "; ".join(getattr(err, "messages", [str(err)])), messages.ERROR)
                continue
            count += 1
        self.message_user(request, ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.",
                                            count) % {"n": count}, messages.SUCCESS)

    def get_urls(self):
        return [path("<int:object_id>/redeliver/", self.admin_site.admin_view(self.redeliver_view),
                     name="cases_webhookdelivery_redeliver"), *super().get_urls()]

    def redeliver_view(self, request, object_id):
        delivery = self.get_queryset(request).filter(pk=object_id).first()
        if delivery is None:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            webhooks.redeliver(delivery, actor=request.user)
        except (PermissionDenied, ValidationError) as err:
            self.message_user(request, "; ".join(getattr(err, "messages", [str(err)])), messages.ERROR)
        else:
            self.message_user(request, gettext("Queued again at %(time)s; it keeps its webhook-id %(id)s.") % {
                "time": display.when(clock.now()), "id": delivery.message_id}, messages.SUCCESS)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:cases_webhookdelivery_change",
                                            args=[delivery.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                may_redeliver=webhooks.may_redeliver(request.user, obj.platform_id),
                redeliver_url=reverse(f"{self.admin_site.name}:cases_webhookdelivery_redeliver", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []


for site in (admin.site, platform_site):
    site.register(WebhookEndpoint, WebhookEndpointAdmin)
    site.register(WebhookDelivery, WebhookDeliveryAdmin)

# django-tasks-db registers its job table on the default admin site, which here is the ministry console. Jobs
# carry ids of any platform's rows and are operations, not casework: they stay out of the consoles (look at them
# with `manage.py shell`, or the delivery log for webhooks).
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


def dashboard_alerts(request) -> dict:
    """The ministry dashboard's webhook block: urgent orders that fell back to e-mail and still wait for the
    platform, and endpoints that keep failing. Two small queries over partial indexes."""
    from django.conf import settings

    from cases.core.choices import CaseStatus
    from cases.models import ServiceRecord

    unserved = (ServiceRecord.objects.visible_to(request.user)
                .filter(fallback_at__isnull=False, delivered_at__isnull=True, opened_at__isnull=True,
                        case__status=CaseStatus.SUBMITTED)
                .select_related("case", "platform").order_by("-fallback_at")[:20])
    streak = settings.PATUH_WEBHOOKS["FAILING_STREAK"]
    failing = (WebhookEndpoint.objects.visible_to(request.user)
               .filter(models_q_failing(streak)).select_related("platform").order_by("-last_failure_at")[:20])
    return {"webhook_unserved": list(unserved), "webhook_failing": list(failing), "webhook_streak": streak}


def models_q_failing(streak: int):
    from django.db.models import Q

    return Q(disabled_at__isnull=False) | Q(is_active=True, failure_streak__gte=streak)
