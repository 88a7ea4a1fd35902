"""Published reports in the ministry console: listed for every ministry role, published by a supervisor (the
add form asks only for the period and a title; the figures are frozen by `cases.reporting.services.publishing`), never
changed or deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.roles import ADMINISTRATOR, SUPERVISOR, has_role
from cases.models import PublishedReport
from cases.reporting.reports import check_day
from cases.reporting.services.publishing import publish_report


class PublishForm(forms.ModelForm):
    class Meta:
        model = PublishedReport
        fields = ["first_day", "last_day", "title"]
        help_texts = {"title": _("Optional; by default the period.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "title" in self.fields:
            self.fields["title"].required = False

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        for name in ("first_day", "last_day"):
            if data.get(name):
                try:
                    check_day(data[name])
                except ValidationError as err:
                    self.add_error(name, err)
        if first and last and first > last:
            self.add_error("first_day", _("The first day is after the last day."))
        if last and last > timezone.localdate(clock.now()):
            self.add_error("last_day", _("A report can only be published for days that have begun."))
        return data


@admin.register(PublishedReport)
class PublishedReportAdmin(admin.ModelAdmin):
    list_display = ["title", "first_day", "last_day", "published_at", "published_by", "definitions_version",
                    "public_link"]
    readonly_fields = ["title", "first_day", "last_day", "as_of", "published_at", "published_by",
                       "definitions_version", "sha256", "document"]
    form = PublishForm

    def get_queryset(self, request):
        return PublishedReport.objects.visible_to(request.user).select_related("published_by")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["first_day", "last_day", "title"]

    def has_add_permission(self, request):
        return has_role(request.user, SUPERVISOR, ADMINISTRATOR)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or has_role(request.user, SUPERVISOR, ADMINISTRATOR)

    @admin.display(description=_("public page"))
    def public_link(self, obj):
        from django.conf import settings
        from django.urls import reverse

        if not settings.PATUH_PUBLIC_TRANSPARENCY:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("cases:transparency-report", args=[obj.pk]), _("open"))

    def save_model(self, request, obj, form, change):
        published = publish_report(actor=request.user, first=form.cleaned_data["first_day"],
                                   last=form.cleaned_data["last_day"], title=form.cleaned_data.get("title") or "")
        obj.__dict__.update({k: v for k, v in published.__dict__.items() if k != "_state"})
        obj._state.adding = False
