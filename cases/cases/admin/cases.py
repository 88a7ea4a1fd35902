"""The case list and case page, for the ministry console and the platform console.

Both pages share `CasePageMixin`: the timeline, the evidence list, the transition buttons (only what this
user may do now) and their small forms, and the comment form. Every write goes through a service.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.api.services.webhooks import mark_opened
from cases.cases.models.cases import duplicate_message
from cases.cases.services.cases import StaleEdit, add_comment, assign_case, create_case, update_case
from cases.cases.workflow import TRANSITIONS, TransitionError, available_actions, refusal, transition
from cases.core import clock, display
from cases.core.admin.base import ScopedAdmin, person_display
from cases.core.admin.filters import FilterSetAdmin
from cases.core.choices import (
    CaseStatus,
    EvidenceKind,
    Tier,
    Visibility,
)
from cases.core.filtersets import CaseFilterSet
from cases.core.forms import CommentForm, ReasonForm, TransitionForm
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.evidence.admin.rechecks import RecheckCaseMixin
from cases.evidence.services.evidence import upload_evidence
from cases.evidence.views.evidence import custody_meta
from cases.models import Case, CaseEvent, Evidence
from cases.reporting.reports import deadline_picture

# Badge colours are CSS classes (`.patuh-badge.tone-<name>` in patuh/patuh.css), not inline styles: the
# Content-Security-Policy allows no inline style.
STATUS_COLOURS = {
    CaseStatus.DRAFT: "grey", CaseStatus.SUBMITTED: "blue", CaseStatus.ACKNOWLEDGED: "purple",
    CaseStatus.ACTIONED: "teal", CaseStatus.OBJECTED: "orange", CaseStatus.VERIFIED: "green",
    CaseStatus.WITHDRAWN: "silver",
}


# --- columns --------------------------------------------------------------------------------------------


def badge(text, tone: str, *, title: str = ""):
    """A coloured label; `tone` names one of the `.patuh-badge.tone-*` classes in patuh/patuh.css."""
    return format_html('<span class="patuh-badge tone-{}" title="{}">{}</span>', tone, title, text)


def deadline_cell(case: Case):
    """Time left, or overdue by; the state people scan the list for: the one badge (`deadline_picture`)."""
    return render_to_string("patuh/_deadline_badge.html", {"deadline": deadline_picture(case)})


def localized_redress(text: str) -> str:
    """The standard redress notice in the page's language (it is stored in the language of the day the case was
    created); a notice written for this case stays as written."""
    from django.utils import translation

    from cases.cases.models.cases import DEFAULT_REDRESS

    standard = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            standard.add(str(DEFAULT_REDRESS).strip())
    return gettext(DEFAULT_REDRESS) if (text or "").strip() in standard else text


# --- the case page, shared by both consoles -----------------------------------------------------------


class CasePageMixin:
    change_form_template = "patuh/case_change_form.html"
    change_list_template = "patuh/case_change_list.html"
    list_per_page = 50

    @staticmethod
    def shown_fields(fields, obj):
        """The case page's lifecycle fields, with the "late" mark on late cases only (an unset flag showed a red
        cross on every case)."""
        return [f for f in fields if f != "is_late" or (obj is not None and deadline_picture(obj).late)]

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "grey"))

    @admin.display(description=_("tier"), ordering="tier")
    def tier_badge(self, obj):
        if obj.tier == Tier.URGENT:
            return badge(obj.get_tier_display(), "red")
        return obj.get_tier_display()

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline(self, obj):
        return deadline_cell(obj)

    submitted_by_name = person_display(Case, "submitted_by")
    created_by_name = person_display(Case, "created_by")
    assigned_to_name = person_display(Case, "assigned_to")

    @admin.display(description=_("redress available"))
    def redress_text(self, obj):
        return localized_redress(obj.redress)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/act/<str:action>/", self.admin_site.admin_view(self.transition_view),
                 name=f"{prefix}_transition"),
            path("<path:object_id>/comment/", self.admin_site.admin_view(self.comment_view),
                 name=f"{prefix}_comment"),
            path("export.csv", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def get_object(self, request, object_id, from_field=None):
        """Django's, with the case's platform and officers in the same query (the page names them all)."""
        queryset = self.get_queryset(request).select_related("platform", "submitted_by", "created_by")
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def export_view(self, request):
        """The case list as it is filtered and searched now, as CSV: the API's export (cases.api.export), the
        same columns and the same bytes."""
        from django.http import StreamingHttpResponse

        from cases.api.export import stream_csv

        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        response = StreamingHttpResponse(stream_csv(changelist.get_queryset(request)),
                                         content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="patuh-cases-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response

    def _case_or_404(self, request, object_id) -> Case:
        case = self.get_object(request, unquote(object_id))
        if case is None:
            raise Http404
        return case

    def _change_url(self, case):
        return reverse(f"{self.admin_site.name}:cases_case_change", args=[case.pk])

    def transition_view(self, request, object_id, action):
        case = self._case_or_404(request, object_id)
        spec = TRANSITIONS.get(action)
        if spec is None:
            raise Http404
        problem = refusal(case, spec, request.user)
        if problem is not None:
            self.message_user(request, problem.message, messages.ERROR)
            return HttpResponseRedirect(self._change_url(case))
        form = self.transition_form(request, spec, case)
        if request.method == "POST" and form.is_valid() and self.save_transition(request, form):
            self.message_user(request, gettext("%(ref)s: %(label)s done.") % {
                "ref": case.reference, "label": spec.label}, messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(case))
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "case": case, "form": form, "spec": spec,
            "title": f"{spec.label}: {case.reference}", "change_url": self._change_url(case),
        }
        return TemplateResponse(request, "patuh/transition_form.html", context)

    def transition_form(self, request, spec, case):
        return TransitionForm(request.POST or None, request.FILES or None, spec=spec, case=case, actor=request.user,
                              request=request)

    def save_transition(self, request, form) -> bool:
        return form.save() is not None

    def comment_view(self, request, object_id):
        case = self._case_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(case))
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                add_comment(case, actor=request.user, text=form.cleaned_data["text"],
                            visibility=form.cleaned_data["visibility"])
                self.message_user(request, gettext("Comment added."), messages.SUCCESS)
            except (ValidationError, PermissionDenied) as err:
                self.message_user(request, "; ".join(getattr(err, "messages", [str(err)])), messages.ERROR)
        else:
            self.message_user(request, gettext("Write a comment first."), messages.ERROR)
        return HttpResponseRedirect(self._change_url(case))

    def history_view(self, request, object_id, extra_context=None):
        """"History" is the case's audited timeline (what this user may see of it), not Django's change log,
        which the services never write."""
        case = self._case_or_404(request, object_id)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "case": case, "site_name": self.admin_site.name,
            "title": gettext("History: %(ref)s") % {"ref": case.reference}, "change_url": self._change_url(case),
            "timeline": CaseEvent.objects.visible_to(request.user).filter(case=case).order_by("-created_at", "-id"),
        }
        return TemplateResponse(request, "patuh/case_history.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            mark_opened(obj, request.user)  # a liaison has seen the order: proof of service (issue 16)
            context.update(
                case=obj,
                timeline=CaseEvent.objects.visible_to(request.user).filter(case=obj).order_by("-created_at", "-id"),
                evidence_items=Evidence.objects.visible_to(request.user).filter(case=obj).select_related("uploaded_by"),
                available=available_actions(obj, request.user),
                comment_form=CommentForm(),
                can_comment=self.can_comment(request, obj),
                deadline=deadline_picture(obj, history=True),
                evidence_upload_url=self.evidence_upload_url(request, obj),
                site_name=self.admin_site.name,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def can_comment(self, request, obj) -> bool:
        return has_role(request.user, *MINISTRY_WRITERS)

    def evidence_upload_url(self, request, obj) -> str:
        if self.admin_site.name == "admin" and has_role(request.user, *MINISTRY_WRITERS):
            return reverse("admin:cases_evidence_add") + f"?case={obj.pk}"
        return ""


# --- the ministry console ----------------------------------------------------------------------------------


def ministry_staff():
    """Cases are assigned to ministry officers who can act on them: analysts, supervisors, administrators
    (not auditors, not liaisons)."""
    from django.contrib.auth import get_user_model

    from cases.cases.queues import by_name

    return by_name(get_user_model().objects.filter(is_active=True, groups__name__in=MINISTRY_WRITERS).distinct())

CASE_FIELDS = [
    "platform", "category", "tier", "location_url", "handle", "native_id", "legal_basis", "reasons",
    "requested_action", "source", "source_detail", "assigned_to",
]
EVIDENCE_FIELDS = ["evidence_file", "evidence_kind", "evidence_visibility"]
LIFECYCLE_FIELDS = [
    "reference", "status", "issuing_authority", "redress_text", "submitted_by_name", "created_by_name", "created_at",
    "submitted_at", "deadline_hours", "due_at", "overdue_at", "acknowledged_at", "actioned_at", "action_taken",
    "action_taken_at", "is_late", "objected_at", "objection_reason", "objection_text", "verified_at",
    "withdrawn_at", "normalized_location",
]


class MinistryCaseForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = CASE_FIELDS

    location_url = forms.URLField(label=_("URL"), max_length=2048, required=False, assume_scheme="https")
    # Evidence with the order, on the create form (one page instead of three); more from the case page.
    evidence_file = forms.FileField(label=_("Evidence file"), required=False, allow_empty_file=True,
                                    help_text=_("Optional: a screenshot, page archive, video or document. "
                                                "Add more from the case page."))
    evidence_kind = forms.ChoiceField(label=_("Evidence kind"), required=False, initial=EvidenceKind.SCREENSHOT,
                                      choices=[c for c in EvidenceKind.choices
                                               if c[0] != EvidenceKind.PLATFORM_RESPONSE])
    evidence_visibility = forms.ChoiceField(label=_("Evidence visible to"), required=False,
                                            choices=Visibility.choices, initial=Visibility.INTERNAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        if "assigned_to" in self.fields:
            from cases.cases.queues import person

            self.fields["assigned_to"].queryset = ministry_staff()
            self.fields["assigned_to"].label_from_instance = person
        if "tier" in self.fields:
            self.fields["tier"].required = False
            self.fields["tier"].help_text = _("Empty: the category's default tier.")

    def _post_clean(self):
        super()._post_clean()
        # The duplicate-location refusal links to the open case that holds the location.
        refusals = self._errors.get(NON_FIELD_ERRORS) if self._errors else None
        duplicate = self.instance.open_duplicate() if refusals else None
        if duplicate is not None:
            text = duplicate_message(duplicate)
            link = format_html('{} <a href="{}">{}</a>', text, reverse("admin:cases_case_change", args=[duplicate.pk]),
                               gettext("Open %(ref)s") % {"ref": duplicate.reference})
            self._errors[NON_FIELD_ERRORS] = self.error_class(
                [link if str(e) == str(text) else e for e in refusals], error_class="nonfield")

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("version")
        if self.instance.pk and seen is not None:
            current = Case.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current != seen:
                raise forms.ValidationError(
                    _("This case was changed by someone else since you opened it. Reload it and make your edit again.")
                )
        return cleaned


class MinistryCaseAdmin(FilterSetAdmin, RecheckCaseMixin, CasePageMixin, ScopedAdmin):
    form = MinistryCaseForm
    list_display = ["reference", "platform", "category", "tier_badge", "status_badge", "deadline", "recheck_flag",
                    "assigned_to"]
    list_display_links = ["reference"]
    list_select_related = ["platform", "assigned_to"]
    # The list filters and the search box are CaseFilterSet's, under the API's parameter names (admin/filters.py).
    filterset_class = CaseFilterSet
    filterset_hidden = ("updated_since",)
    search_help_text = _("An exact reference (PTH-2026-000123), or part of the URL, handle or native id.")
    actions = ["submit_selected", "verify_selected", "reopen_selected", "withdraw_selected", "assign_to_me"]
    autocomplete_fields = ["platform"]
    readonly_fields = LIFECYCLE_FIELDS

    def get_fieldsets(self, request, obj=None):
        fields = CASE_FIELDS
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: the assignee as a name, not a link to a user record only administrators may open.
            fields = ["assigned_to_name" if f == "assigned_to" else f for f in CASE_FIELDS]
        order = [("", {"fields": fields})]
        if obj is None:
            order.append((_("Evidence"), {"fields": EVIDENCE_FIELDS}))
        if obj is not None:
            order.append((_("Lifecycle and deadline"), {"fields": self.shown_fields(LIFECYCLE_FIELDS, obj)}))
        return order

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CaseStatus.DRAFT:
            # the order as sent is fixed; withdraw and reopen instead
            return [*CASE_FIELDS, *LIFECYCLE_FIELDS, "assigned_to_name"]
        return [*LIFECYCLE_FIELDS, "assigned_to_name"]

    # Permissions: analysts, supervisors and administrators write; auditors read.
    def has_add_permission(self, request):
        return has_role(request.user, *MINISTRY_WRITERS)

    def has_change_permission(self, request, obj=None):
        return has_role(request.user, *MINISTRY_WRITERS) and (obj is None or obj.status == CaseStatus.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request):
        return has_role(request.user, *MINISTRY_WRITERS)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data.get(f) for f in CASE_FIELDS if f in form.cleaned_data}
        submit_now = "_submit" in request.POST and has_role(request.user, *MINISTRY_WRITERS)
        try:
            if change:
                assignee = data.pop("assigned_to", obj.assigned_to)
                saved = update_case(obj, actor=request.user, expected_version=form.cleaned_data.get("version")
                                    or obj.version, **data)
                if assignee != saved.assigned_to:
                    saved = assign_case(saved, actor=request.user, assignee=assignee)
            else:
                saved = create_case(actor=request.user, **{k: v or "" for k, v in data.items()
                                                           if k not in ("platform", "assigned_to")},
                                    platform=data["platform"], assigned_to=data.get("assigned_to"))
        except (StaleEdit, ValidationError) as err:
            # The form already validated; this is a race (someone edited it, or opened the same location).
            raise PermissionDenied("; ".join(err.messages)) from err
        upload = form.cleaned_data.get("evidence_file")
        if upload is not None:
            try:
                with transaction.atomic():
                    upload_evidence(case=saved, actor=request.user, file=upload,
                                    kind=form.cleaned_data.get("evidence_kind") or EvidenceKind.SCREENSHOT,
                                    visibility=form.cleaned_data.get("evidence_visibility") or Visibility.INTERNAL,
                                    request_meta=custody_meta(request))
            except (ValidationError, PermissionDenied) as err:
                # The order is kept as a draft (nothing is lost, nothing is sent without its evidence).
                submit_now = False
                self.message_user(request, gettext(
                    "The evidence was refused: %(why)s The case is saved as a draft; add the evidence from its "
                    "page, then submit it.") % {"why": "; ".join(getattr(err, "messages", [str(err)]))},
                    messages.ERROR)
        if submit_now:
            try:
                saved = transition(saved, "submit", actor=request.user)
            except TransitionError as err:
                self.message_user(request, err.message, messages.ERROR)
        obj.pk, obj.reference, obj.version, obj.status = saved.pk, saved.reference, saved.version, saved.status

    def _where_it_went(self, request, obj):
        """Say whether the order went to the platform: the one thing an analyst needs to know after saving."""
        case = Case.objects.select_related("platform").get(pk=obj.pk)
        if case.status == CaseStatus.DRAFT:
            self.message_user(request, gettext("%(ref)s is saved as a draft; it has not been sent to %(platform)s.")
                              % {"ref": case.reference, "platform": case.platform}, messages.WARNING)
        elif "_submit" in request.POST:
            self.message_user(request, gettext("%(ref)s was sent to %(platform)s; due %(due)s.") % {
                "ref": case.reference, "platform": case.platform,
                "due": display.when(case.due_at)}, messages.SUCCESS)

    def response_add(self, request, obj, post_url_continue=None):
        self._where_it_went(request, obj)
        if "_submit" in request.POST:
            return HttpResponseRedirect(self._change_url(obj))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._where_it_went(request, obj)
        if "_submit" in request.POST:
            return HttpResponseRedirect(self._change_url(obj))
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # "Save and submit" beside "Save as draft": on a new case and on a draft, for those who may submit.
        context["can_submit_now"] = has_role(request.user, *MINISTRY_WRITERS) and (
            add or (obj is not None and obj.status == CaseStatus.DRAFT))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        pass  # no m2m on cases; the service wrote everything

    def log_addition(self, request, obj, message):
        pass  # the case timeline is the audit trail; admin LogEntry would duplicate it

    log_change = log_addition

    # Bulk actions: each case goes through the transition service; refusals are reported, not hidden.
    def _bulk(self, request, queryset, action, **data):
        done, refused = [], []
        for case in queryset.select_related("platform"):
            try:
                transition(case, action, actor=request.user, **data)
                done.append(case.reference)
            except TransitionError as err:
                refused.append(err.message)
        if done:
            self.message_user(request, gettext("%(label)s: %(n)d case(s): %(refs)s") % {
                "label": TRANSITIONS[action].label, "n": len(done), "refs": ", ".join(done[:20])}, messages.SUCCESS)
        for message in refused[:20]:
            self.message_user(request, message, messages.WARNING)

    def _bulk_with_note(self, request, queryset, action):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                self._bulk(request, queryset, action, note=form.cleaned_data["note"])
                return None
        else:
            form = ReasonForm()
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "queryset": queryset, "form": form,
            "action": f"{action}_selected", "title": TRANSITIONS[action].label,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "patuh/bulk_note.html", context)

    @admin.action(description=_("Submit selected drafts to their platforms"), permissions=["transition"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, "submit")

    @admin.action(description=_("Verify selected (content gone)"), permissions=["transition"])
    def verify_selected(self, request, queryset):
        self._bulk(request, queryset, "verify")

    @admin.action(description=_("Reopen selected (content still up)…"), permissions=["transition"])
    def reopen_selected(self, request, queryset):
        return self._bulk_with_note(request, queryset, "reopen")

    @admin.action(description=_("Withdraw selected…"), permissions=["transition"])
    def withdraw_selected(self, request, queryset):
        return self._bulk_with_note(request, queryset, "withdraw")

    @admin.action(description=_("Assign selected to me"), permissions=["transition"])
    def assign_to_me(self, request, queryset):
        for case in queryset:
            assign_case(case, actor=request.user, assignee=request.user)
        self.message_user(request, gettext("Assigned to you."), messages.SUCCESS)


# --- the platform console ----------------------------------------------------------------------------------

PLATFORM_FIELDS = [
    "reference", "status", "category", "tier", "location_url", "handle", "native_id", "requested_action",
    "legal_basis", "reasons", "issuing_authority", "submitted_by_name", "redress_text", "submitted_at", "due_at",
    "overdue_at", "acknowledged_at", "action_taken", "action_taken_at", "actioned_at", "is_late",
    "objection_reason", "objection_text", "verified_at", "withdrawn_at",
]


class PlatformCaseAdmin(FilterSetAdmin, CasePageMixin, ScopedAdmin):
    list_display = ["reference", "category", "tier_badge", "status_badge", "deadline", "location"]
    # CaseFilterSet, as in the ministry console and the API; the inbox opens on what awaits the platform, and
    # says so in its URL (`?awaiting=true`). The ministry's own filters are accepted but not offered.
    filterset_class = CaseFilterSet
    filterset_hidden = ("platform", "assigned_to_me", "reupload", "recheck", "submitted_from", "submitted_to",
                        "updated_since")
    filterset_exclude_choices = {"status": {CaseStatus.DRAFT}}  # a liaison never sees a draft
    filterset_defaults = {"awaiting": "true"}
    search_help_text = _("An exact reference, or part of a URL, handle or native id.")
    ordering = ["due_at", "id"]
    fields = PLATFORM_FIELDS
    readonly_fields = PLATFORM_FIELDS

    def get_fields(self, request, obj=None):
        return self.shown_fields(PLATFORM_FIELDS, obj)
    actions = None

    @admin.display(description=_("location"))
    def location(self, obj):
        return obj.location_display[:80]

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def can_comment(self, request, obj) -> bool:
        return True  # scoping already decided the liaison may see this case; comments are shared

    def transition_form(self, request, spec, case):
        form = super().transition_form(request, spec, case)
        if spec.action in RESPONSE_EVIDENCE_ACTIONS:
            form.fields["response_evidence"] = forms.FileField(
                label=_("Response evidence"), required=False,
                help_text=_("Optional: a screenshot or document showing what you did. Shared with the ministry."),
            )
        return form

    def save_transition(self, request, form) -> bool:
        """The transition and its response evidence stand or fall together."""
        upload = form.cleaned_data.pop("response_evidence", None)
        with transaction.atomic():
            case = form.save()
            if case is None or upload is None:
                return case is not None
            try:
                upload_evidence(case=case, actor=request.user, file=upload, kind=EvidenceKind.PLATFORM_RESPONSE,
                                visibility=Visibility.SHARED, request_meta=custody_meta(request))
                return True
            except (ValidationError, PermissionDenied) as err:
                refusal_text = "; ".join(getattr(err, "messages", [str(err)]))
                transaction.set_rollback(True)
        form.case.refresh_from_db()  # the transition was rolled back with the upload
        form.add_error("response_evidence", refusal_text)
        return False


RESPONSE_EVIDENCE_ACTIONS = ("report_action", "object")
