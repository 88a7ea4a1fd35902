"""Evidence and its chain of custody in the ministry console.

Everything that writes goes through `cases.evidence.services.evidence`: the add form streams the upload into
`upload_evidence`, the withdraw form calls `withdraw_evidence`. A stored item is never edited; its
change page is read-only and shows the custody trail in order.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.core.admin.base import AddThroughServiceMixin, ReadOnlyMixin, ScopedAdmin, person_display
from cases.core.admin.filters import FilterSetAdmin
from cases.core.filtersets import EvidenceFilterSet
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.evidence.services.evidence import upload_evidence, withdraw_evidence
from cases.evidence.views.evidence import custody_meta
from cases.models import CustodyEvent, Evidence

# What the read-only change page shows. `file` itself is left out: its widget would try to build a URL.
DETAIL_FIELDS = [
    "case", "kind", "visibility", "description", "source_url", "captured_at", "original_name", "content_type",
    "size_display", "sha256", "stored_file", "first_copy", "uploaded_by_name", "uploaded_at", "withdrawn_at",
    "withdrawn_by_name", "withdrawal_reason",
]
ADD_FIELDS = ["case", "upload", "kind", "visibility", "captured_at", "source_url", "description"]


class EvidenceUploadForm(forms.ModelForm):
    """The console's upload form. Validation *is* the upload: the service streams, checks and stores the
    file, and its refusals come back as form errors."""

    upload = forms.FileField(label=_("File"), allow_empty_file=True)  # the service words the refusal
    actor = None  # set per request by EvidenceAdmin.get_form
    request_meta: dict = {}

    class Meta:
        model = Evidence
        fields = ["case", "kind", "visibility", "captured_at", "description"]  # + source_url, built by the admin

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.instance = upload_evidence(
                case=data["case"], actor=self.actor, file=data["upload"], kind=data["kind"],
                visibility=data["visibility"], captured_at=data.get("captured_at"),
                source_url=data.get("source_url", ""), description=data.get("description", ""),
                request_meta=self.request_meta,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                self._update_errors(exc)
            else:
                self.add_error("upload", exc)
        except PermissionDenied as exc:
            self.add_error("case", str(exc))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Shown on the case timeline to whoever could see the item: the platform too, if it was shared."),
    )


@admin.register(Evidence)
class EvidenceAdmin(AddThroughServiceMixin, FilterSetAdmin, ScopedAdmin):
    list_display = [
        "id", "case", "kind", "visibility", "size_display", "original_name", "uploaded_at", "is_copy", "is_withdrawn",
        "download_link",
    ]
    list_display_links = ["id"]
    # The filters and search of the API's evidence lists (EvidenceFilterSet, admin/filters.py).
    filterset_class = EvidenceFilterSet
    search_help_text = _("A case reference or a SHA-256 (exact), or part of the original file name.")
    list_select_related = ["case"]
    autocomplete_fields = ["case"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    uploaded_by_name = person_display(Evidence, "uploaded_by")
    withdrawn_by_name = person_display(Evidence, "withdrawn_by")

    # --- forms -----------------------------------------------------------------------------------
    def get_fields(self, request, obj=None):
        return DETAIL_FIELDS if obj else ADD_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return DETAIL_FIELDS if obj else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EvidenceUploadForm
            form = super().get_form(request, obj, **kwargs)
            return type(form.__name__, (form,), {"actor": request.user, "request_meta": custody_meta(request)})
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # the upload form's validation already stored it through the service

    def response_post_save_add(self, request, obj):
        return HttpResponseRedirect(reverse("admin:cases_evidence_change", args=[obj.pk]))  # show its custody trail

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                custody_trail=CustodyEvent.objects.visible_to(request.user).filter(evidence=obj).select_related(
                    "actor"),
                download_url=reverse("cases:evidence-download", args=[obj.pk]),
                can_withdraw=not obj.is_withdrawn and has_role(request.user, *MINISTRY_WRITERS),
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- withdrawal ------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("<path:object_id>/withdraw/", self.admin_site.admin_view(self.withdraw_view),
                 name=f"{self.opts.app_label}_{self.opts.model_name}_withdraw"),
            *super().get_urls(),
        ]

    def withdraw_view(self, request, object_id):
        evidence = self.get_object(request, unquote(object_id))
        if evidence is None:
            raise Http404
        if not has_role(request.user, *MINISTRY_WRITERS):
            raise PermissionDenied
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                withdraw_evidence(evidence, actor=request.user, reason=form.cleaned_data["reason"],
                                  request_meta=custody_meta(request))
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, gettext("The evidence was withdrawn."))
                return HttpResponseRedirect(reverse("admin:cases_evidence_change", args=[evidence.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Withdraw evidence %(id)s") % {"id": evidence.pk},
            "opts": self.opts,
            "original": evidence,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/evidence/withdraw.html", context)

    # --- columns ---------------------------------------------------------------------------------
    @admin.display(description=_("size"), ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("copy"), boolean=True)
    def is_copy(self, obj):
        return obj.first_copy_id is not None

    @admin.display(description=_("withdrawn"), boolean=True, ordering="withdrawn_at")
    def is_withdrawn(self, obj):
        return obj.is_withdrawn

    @admin.display(description=_("download"))
    def download_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("cases:evidence-download", args=[obj.pk]),
                           gettext("Download"))

    @admin.display(description=_("stored file"))
    def stored_file(self, obj):
        return format_html('<code>{}</code> · <a href="{}">{}</a>', obj.file.name,
                           reverse("cases:evidence-download", args=[obj.pk]), gettext("Download"))


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["created_at", "evidence_link", "case_reference", "kind", "actor_name", "ip_address", "user_agent"]
    list_filter = ["kind"]
    list_select_related = ["evidence__case"]
    search_fields = ["=evidence__case__reference", "=evidence__sha256"]
    show_full_result_count = False

    @admin.display(description=_("evidence"), ordering="evidence")
    def evidence_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:cases_evidence_change", args=[obj.evidence_id]),
                           obj.evidence_id)

    @admin.display(description=_("case"), ordering="evidence__case__reference")
    def case_reference(self, obj):
        return obj.evidence.case.reference
