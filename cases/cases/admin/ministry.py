"""The ministry console's registrations (the default admin site, `MinistrySite`, at /admin/)."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import models
from cases.cases.admin.cases import MinistryCaseAdmin
from cases.cases.workflow import TransitionError
from cases.commitments.selectors import measure_commitment
from cases.commitments.services import commitments as commitment_services
from cases.commitments.services.commitments import post_update
from cases.core import clock, display
from cases.core.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline, person_display
from cases.core.admin.filters import FilterSetAdmin
from cases.core.choices import Category, SanctionLevel, Virality
from cases.core.filtersets import (
    CaseEventFilterSet,
    CommitmentFilterSet,
    MeetingFilterSet,
    PlatformFilterSet,
    SanctionFilterSet,
)
from cases.core.money import format_amount
from cases.core.roles import ADMINISTRATOR, MINISTRY_WRITERS, SUPERVISOR, has_role, liaison_platform_ids
from cases.reporting.admin.dashboards import scorecard
from cases.reporting.reports import ReportScope
from cases.sanctions.services import sanctions as sanction_services
from cases.sanctions.services.sanctions import how_late
from cases.templatetags.patuh_labels import status_label

admin.site.register(models.Case, MinistryCaseAdmin)


def is_supervisor(request) -> bool:
    return has_role(request.user, SUPERVISOR, ADMINISTRATOR)


class SupervisorWrites:
    """Supervisors and administrators manage reference data; others read."""

    def has_add_permission(self, request, *args):
        return is_supervisor(request)

    def has_change_permission(self, request, obj=None):
        return is_supervisor(request)

    def has_delete_permission(self, request, obj=None):
        return False


# --- platforms --------------------------------------------------------------------------------------------


class MembershipInline(ScopedInline, admin.TabularInline):
    model = models.PlatformMembership
    extra = 0
    autocomplete_fields = ["user"]

    def has_add_permission(self, request, obj=None):
        return has_role(request.user, ADMINISTRATOR)

    has_change_permission = has_delete_permission = has_add_permission


class OverrideInline(ScopedInline, SupervisorWrites, admin.TabularInline):
    model = models.DeadlineOverride
    fk_name = "platform"
    extra = 0
    fields = ["category", "tier", "hours", "reason", "commitment", "is_active"]


def render_contact(platform) -> str:
    """Where the ministry sends orders and letters: the legal name and address, the named liaisons, the e-mail."""
    if platform is None or platform.pk is None:
        return "—"
    who = platform.addressee()
    attention = ", ".join(who["attention"]) or gettext("no liaison is marked as point of contact")
    return format_html(
        '<div class="patuh-contact"><strong>{}</strong><br>{}<br>{}: {}<br>{}: {}</div>',
        who["name"], who["address"] or gettext("no address recorded"), _("attention"), attention,
        _("e-mail"), who["email"] or "—",
    )


def render_scorecard(periods) -> str:
    rows = []
    for period in periods:
        for r in period["rows"]:
            share = display.percent(r.on_time_share)
            rows.append((period["days"], r.received, r.acknowledged, r.actioned, r.overdue_now, share))
    if not rows:
        return gettext("No submitted cases in the last 90 days.")
    head = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                       _("days"), _("received"), _("acknowledged"), _("actioned"), _("overdue now"),
                       _("within deadline"))
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html('<table class="patuh-table">{}{}</table>', head, body)


@admin.register(models.Platform)
class PlatformAdmin(FilterSetAdmin, SupervisorWrites, ScopedAdmin):
    list_display = ["name", "kind", "business_scale", "standing", "contact_email"]
    filterset_class = PlatformFilterSet  # the API's filters and search (admin/filters.py)
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, OverrideInline]
    readonly_fields = ["point_of_contact", "standing", "scorecard"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "business_scale", "website", "hosts", "standing"]}),
        (_("Point of contact (where orders and letters go)"),
         {"fields": ["point_of_contact", "legal_name", "address", "contact_email"]}),
        (None, {"fields": ["notes", "scorecard"]}),
    ]

    @admin.display(description=_("addressed to"))
    def point_of_contact(self, obj):
        return render_contact(obj)

    def get_queryset(self, request):
        self._standings = sanction_services.standings()
        return super().get_queryset(request)

    @admin.display(description=_("standing"))
    def standing(self, obj):
        from cases.core.choices import PlatformStanding

        return PlatformStanding(getattr(self, "_standings", {}).get(obj.pk, PlatformStanding.ACTIVE)).label

    @admin.display(description=_("scorecard (last 30 and 90 days)"))
    def scorecard(self, obj):
        from django.template.loader import render_to_string

        from cases.templatetags.rechecks import still_live_periods

        scope = ReportScope(everyone=True, platforms=(obj,))
        return format_html("{}{}", render_scorecard(scorecard(scope)),
                           render_to_string("patuh/_recheck_scorecard.html", still_live_periods(scope)))


# --- meetings and commitments ----------------------------------------------------------------------------


class CommitmentInline(ScopedInline, admin.StackedInline):
    model = models.Commitment
    extra = 0
    fields = [("platform", "kind", "status", "owner"), "text", "text_en", ("measured_category", "target_hours"),
              ("due_on", "owner_name"), "source"]
    readonly_fields = ["status"]  # a step of the commitments lifecycle, never typed


def save_commitment(request, commitment, form) -> None:
    """A commitment form's save: `open` for a new one, `edit` for changed content
    (cases.commitments.services.commitments).

    The form has validated the content (the model's own checks); the page is read-only once the commitment is
    no longer live (`has_change_permission`), so a refusal here can only be a race, and it is raised.
    """
    fields = {name: form.cleaned_data.get(name, getattr(commitment, name))
              for name in commitment_services.CONTENT_FIELDS if name in form.cleaned_data or commitment.pk is None}
    if commitment.pk is None:
        saved = commitment_services.open_commitment(actor=request.user, platform=commitment.platform, **fields)
        commitment.pk = saved.pk
        return
    original = models.Commitment.objects.get(pk=commitment.pk)
    changed = {k: v for k, v in fields.items() if getattr(original, k) != v}
    if changed:
        commitment_services.transition(original, "edit", actor=request.user, **changed)


class CommitmentEventInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    model = models.CommitmentEvent
    extra = 0
    fields = ["created_at", "kind", "actor_name", "from_status", "to_status", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history (audited steps)")


@admin.register(models.Meeting)
class MeetingAdmin(FilterSetAdmin, SupervisorWrites, ScopedAdmin):
    list_display = ["held_on", "title", "place", "commitment_count"]
    filterset_class = MeetingFilterSet  # the API's filters and search (admin/filters.py)
    filter_horizontal = ["platforms"]
    inlines = [CommitmentInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not models.Commitment:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            commitment = inline_form.instance
            new = commitment.pk is None
            if commitment.meeting_id is None:
                commitment.meeting = form.instance
            inline_form.cleaned_data["meeting"] = commitment.meeting
            save_commitment(request, commitment, inline_form)
            if new:
                formset.new_objects.append(commitment)
            else:
                formset.changed_objects.append((commitment, inline_form.changed_data))
        return None

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_commitments=Count("commitments"))

    @admin.display(description=_("commitments"), ordering="n_commitments")
    def commitment_count(self, obj):
        return obj.n_commitments


class CommitmentUpdateInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    model = models.CommitmentUpdate
    extra = 0
    fields = ["created_at", "author", "status", "progress_percent", "note", "evidence_url"]
    readonly_fields = fields


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("New status"), required=False,
                               choices=[("", "—"), *models.Commitment._meta.get_field("status").choices])
    progress_percent = forms.IntegerField(label=_("Progress (%)"), required=False, min_value=0, max_value=100)
    evidence_url = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")


class CommitmentProgressMixin:
    """A progress form on the commitment page, through `post_update` (both consoles)."""

    change_form_template = "patuh/commitment_change_form.html"

    def get_urls(self):
        return [path("<path:object_id>/progress/", self.admin_site.admin_view(self.progress_view),
                     name=f"{self.opts.app_label}_{self.opts.model_name}_progress"), *super().get_urls()]

    def progress_view(self, request, object_id):
        commitment = self.get_object(request, unquote(object_id))
        if commitment is None:
            raise Http404
        url = reverse(f"{self.admin_site.name}:cases_commitment_change", args=[commitment.pk])
        form = ProgressForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                post_update(commitment, actor=request.user, **form.cleaned_data)
                self.message_user(request, gettext("Progress recorded."), messages.SUCCESS)
            except TransitionError as err:
                self.message_user(request, err.message + "".join(f" {v}" for v in err.field_errors.values()),
                                  messages.ERROR)
        else:
            self.message_user(request, gettext("Describe the progress."), messages.ERROR)
        return HttpResponseRedirect(url)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["progress_form"] = ProgressForm()
        # Offered only to those `post_update` accepts (ministry writers, the platform's liaisons): not auditors.
        may_post = obj is not None and (has_role(request.user, *MINISTRY_WRITERS)
                                        or obj.platform_id in liaison_platform_ids(request.user))
        context["progress_url"] = (reverse(f"{self.admin_site.name}:cases_commitment_progress", args=[obj.pk])
                                   if may_post else "")
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(models.Commitment)
class CommitmentAdmin(FilterSetAdmin, CommitmentProgressMixin, SupervisorWrites, ScopedAdmin):
    list_display = ["platform", "kind", "short_text", "status", "due_on", "measured"]
    filterset_class = CommitmentFilterSet  # the API's filters and search (admin/filters.py)
    list_select_related = ["platform"]
    inlines = [CommitmentUpdateInline, CommitmentEventInline]
    readonly_fields = ["status", "measured_compliance"]

    def has_change_permission(self, request, obj=None):
        live = obj is None or obj.status in commitment_services.LIVE
        return live and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        save_commitment(request, obj, form)

    @admin.display(description=_("commitment"))
    def short_text(self, obj):
        return commitment_text(obj)[:90]

    @admin.display(description=_("measured"), boolean=True)
    def measured(self, obj):
        return obj.is_measured

    @admin.display(description=_("measured compliance (from the cases)"))
    def measured_compliance(self, obj):
        return measured_table(obj)


def commitment_text(obj) -> str:
    """A commitment in the page's language: its English text on an English page when it has one, else the
    Indonesian text agreed in the meeting."""
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and obj.text_en:
        return obj.text_en
    return obj.text


def measured_table(obj) -> str:
    """A measured commitment's figures over 30, 90 and 365 days (both consoles show the same table)."""
    if obj is None or not obj.is_measured:
        return gettext("Not measurable: give a category and target hours to measure it from the cases.")
    rows = []
    for days in (30, 90, 365):
        m = measure_commitment(obj, start=clock.now() - timedelta(days=days))
        share = display.percent(m.share)
        rows.append((days, m.cases, m.decided, m.met, share))
    return format_html(
        '<table class="patuh-table"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
        _("days"), _("cases"), _("decided"), _("within target"), _("share"),
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


# --- sanctions -------------------------------------------------------------------------------------------


def _split_references(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


def sanction_form_errors(form, err) -> None:
    """A refused step's sentence and field errors onto the form that asked for it."""
    form.add_error(None, err.message)
    for name, message in err.field_errors.items():
        if name in form.fields:
            form.add_error(name, message)


class ProposeForm(forms.ModelForm):
    """A supervisor's proposal. The sanction is proposed through the lifecycle when the form validates, so a
    refusal (no content basis, a skipped rung without a reason, a pending proposal) shows on the form."""

    cases = forms.CharField(
        label=_("Cited cases"), required=False,
        help_text=_("References of the platform's overdue or late cases, separated by spaces or commas."))
    skip_reason = forms.CharField(
        label=_("Reason for skipping a rung"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the level is above the ladder's next rung for this platform."))
    actor = None

    class Meta:
        model = models.Sanction
        fields = ["platform", "level", "reason", "cases", "content_category", "skip_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.proposed = None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.proposed = sanction_services.propose_sanction(
                platform=cleaned["platform"], level=cleaned["level"], actor=self.actor, reason=cleaned["reason"],
                cases=_split_references(cleaned.get("cases") or ""),
                content_category=cleaned.get("content_category") or "", skip_reason=cleaned.get("skip_reason") or "")
        except TransitionError as err:
            sanction_form_errors(self, err)
        return cleaned


class IssueForm(forms.Form):
    letter_reference = forms.CharField(
        label=_("Letter reference"), max_length=100, required=False,
        help_text=_("Leave empty: Patuh numbers and produces the letter (e.g. ST1/TELEGRAM/2026/003). Fill in only "
                    "for a letter issued outside Patuh."))
    virality = forms.ChoiceField(label=_("Virality (fines only)"), choices=Virality.choices, initial=Virality.LOW)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CiteForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=40)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# The console's form for each step of the sanctions lifecycle (cases.sanctions.services.sanctions.TRANSITIONS).
SANCTION_FORMS = {"cite": CiteForm, "issue": IssueForm, "comply": NoteForm, "lift": ReasonForm,
                  "withdraw": ReasonForm}


class CitationInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    """The grounds of a sanction: the cited cases, with their category and how late each was."""

    model = models.SanctionCase
    extra = 0
    fields = ["reference", "category", "deadline", "lateness", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("cited cases (the grounds)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")

    @admin.display(description=_("case"))
    def reference(self, obj):
        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description=_("category"))
    def category(self, obj):
        return obj.case.get_category_display()

    @admin.display(description=_("deadline"))
    def deadline(self, obj):
        return obj.case.due_at

    @admin.display(description=_("how late"))
    def lateness(self, obj):
        return how_late(obj.case)


class SanctionEventInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    """The sanction's audited steps (the hash chain's rows)."""

    model = models.SanctionEvent
    extra = 0
    fields = ["created_at", "kind", "actor_name", "from_status", "to_status", "note", "details"]
    readonly_fields = fields
    verbose_name_plural = _("history (audited steps)")

    @admin.display(description=_("details"))
    def details(self, obj):
        data = obj.data or {}
        parts = []
        if data.get("skip_reason"):
            parts.append(gettext("Skipped %(n)s rung(s): %(reason)s") % {"n": data.get("skipped_rungs"),
                                                                         "reason": data["skip_reason"]})
        if data.get("cases"):
            parts.append(gettext("Cases: %(refs)s") % {"refs": ", ".join(data["cases"])})
        if data.get("content_category"):
            parts.append(gettext("Content basis: %(category)s") % {
                "category": Category(data["content_category"]).label})
        if data.get("sha256"):
            parts.append(f"{data.get('number', '')} SHA-256 {data['sha256']}")
        if data.get("letter_reference"):
            parts.append(gettext("Letter %(ref)s") % {"ref": data["letter_reference"]})
        return " · ".join(str(p) for p in parts) or "—"


@admin.register(models.Sanction)
class SanctionAdmin(FilterSetAdmin, ScopedAdmin):
    list_display = ["platform", "level", "status", "proposed_at", "issued_at", "letter_reference", "amount_display"]
    filterset_class = SanctionFilterSet  # the API's filters (admin/filters.py)
    list_select_related = ["platform"]
    change_form_template = "patuh/sanction_change_form.html"
    inlines = [CitationInline, SanctionEventInline]
    proposed_by_name = person_display(models.Sanction, "proposed_by")
    issued_by_name = person_display(models.Sanction, "issued_by")
    lifted_by_name = person_display(models.Sanction, "lifted_by")
    readonly_fields = ["platform", "level", "status", "reason", "content_category", "letter_reference",
                       "proposed_at", "proposed_by_name", "issued_at", "issued_by_name", "complied_at", "lifted_at",
                       "lifted_by_name", "status_note", "amount_display", "fine_computation", "letters"]

    @admin.display(description=_("letters"))
    def letters(self, obj):
        rows = [(letter.number, letter.language, letter.sha256 or "—", letter_link(letter))
                for letter in obj.letters.order_by("created_at", "id")]
        if not rows:
            return "—"
        return format_html('<table class="patuh-table">{}</table>', format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>", rows))

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type("ProposeFormFor", (ProposeForm,), {"actor": request.user})
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ProposeForm.Meta.fields if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_add_permission(self, request):
        return is_supervisor(request)

    def has_change_permission(self, request, obj=None):
        return False  # every change is a step of the sanctions lifecycle

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("fine amount"), ordering="amount")
    def amount_display(self, obj):
        if obj.amount is None:
            return "—"
        return format_amount(obj.amount, (obj.fine_inputs or {}).get("currency", "IDR"))

    @admin.display(description=_("fine computation"))
    def fine_computation(self, obj):
        if not obj.fine_inputs:
            return "—"
        return render_fine(sanction_services.fine_lines(obj.fine_inputs), obj.fine_inputs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.proposed.pk  # proposed by the form's clean(), through the lifecycle

    def save_related(self, request, form, formsets, change):
        pass  # the citations were written by the proposal step

    def log_addition(self, request, obj, message):
        pass

    def get_urls(self):
        return [path("<path:object_id>/step/<str:step>/", self.admin_site.admin_view(self.step_view),
                     name="cases_sanction_step"), *super().get_urls()]

    def step_view(self, request, object_id, step):
        sanction = self.get_object(request, unquote(object_id))
        if sanction is None or step not in SANCTION_FORMS:
            raise Http404
        if not is_supervisor(request):
            raise PermissionDenied
        spec = sanction_services.STEPS[step]
        url = reverse("admin:cases_sanction_change", args=[sanction.pk])
        form = SANCTION_FORMS[step](request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
            data = dict(form.cleaned_data)
            note = data.pop("note", "")
            try:
                sanction_services.transition(sanction, step, actor=request.user, note=note, **data)
                self.message_user(request, gettext("%(label)s: done.") % {"label": spec.label}, messages.SUCCESS)
                return HttpResponseRedirect(url)
            except TransitionError as err:
                sanction_form_errors(form, err)
        if step == "issue" and sanction.level == SanctionLevel.FINE:
            virality = form.data.get("virality") or Virality.LOW
            try:
                preview = sanction_services.fine_preview(
                    sanction, virality=virality if virality in Virality.values else Virality.LOW)
            except ValidationError as err:
                form.add_error(None, " ".join(err.messages))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": spec.label,
                   "object": sanction, "change_url": url, "preview": preview,
                   "citations": [{"case": c.case, "lateness": how_late(c.case)} for c in
                                 sanction.citations.select_related("case").order_by("case__reference")]}
        return TemplateResponse(request, "patuh/step_form.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and is_supervisor(request):
            context["steps"] = [(s.action, s.label) for s in sanction_services.available_steps(obj, request.user)
                                if s.action in SANCTION_FORMS]
        context["ladder"] = SanctionLevel.choices
        return super().render_change_form(request, context, add, change, form_url, obj)


def render_fine(lines, inputs) -> str:
    """The fine's computation in words: each index, the points cap, the tariff and the amount."""
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((line["factor"], line["words"], line["value"],
          gettext("defaulted: the policy has no index for this, counted as 1") if line["defaulted"] else "")
         for line in lines))
    currency = inputs.get("currency", "IDR")
    return format_html(
        '<table class="patuh-table patuh-fine"><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr>{}'
        "<tr><td>{}</td><td colspan=3>{}</td></tr><tr><td>{}</td><td colspan=3>{}</td></tr>"
        "<tr><td>{}</td><td colspan=3>{}</td></tr><tr><th>{}</th><th colspan=3>{}</th></tr></table>",
        _("index"), _("value taken"), _("index value"), rows,
        _("product of the indices"), inputs.get("product", ""),
        _("points cap"), inputs.get("points_cap", ""),
        _("tariff per point"), format_amount(inputs.get("tariff_per_point"), currency),
        _("amount"), format_amount(inputs.get("amount"), currency),
    )


# --- policies, notifications, users ------------------------------------------------------------------------


@admin.register(models.DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "default_tier", "urgent_hours", "standard_hours", "legal_basis"]
    list_editable = ["default_tier", "urgent_hours", "standard_hours"]

    def has_add_permission(self, request):
        return False  # one row per category, created by migration

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return is_supervisor(request)

    def save_model(self, request, obj, form, change):
        obj.updated_at, obj.updated_by = clock.now(), request.user
        super().save_model(request, obj, form, change)


class FineFactorInline(SupervisorWrites, admin.TabularInline):
    model = models.FineFactorValue
    extra = 0


@admin.register(models.FinePolicy)
class FinePolicyAdmin(SupervisorWrites, admin.ModelAdmin):
    list_display = ["name", "effective_from", "points_cap", "tariff_per_point", "currency"]
    inlines = [FineFactorInline]


@admin.register(models.Notification)
class NotificationAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "urgent", "sent_at", "attempts"]
    list_filter = ["kind", "urgent", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "to_email"]
    show_full_result_count = False


@admin.register(models.CaseEvent)
class CaseEventAdmin(FilterSetAdmin, ReadOnlyMixin, ScopedAdmin):
    """The audit trail across cases, for auditors."""

    list_display = ["created_at", "case", "kind", "actor_name", "from_label", "to_label", "visibility"]
    filterset_class = CaseEventFilterSet  # the filters and search of the API's timelines (admin/filters.py)
    list_select_related = ["case"]
    date_hierarchy = None

    @admin.display(description=_("from status"), ordering="from_status")
    def from_label(self, obj):
        return status_label(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to status"), ordering="to_status")
    def to_label(self, obj):
        return status_label(obj.to_status) if obj.to_status else "—"



# --- letters ---------------------------------------------------------------------------------------------


def letter_link(letter) -> str:
    if not letter.sha256:
        return gettext("being produced")
    return format_html('<a class="patuh-letter" href="{}">{}</a>',
                       reverse("cases:letter-download", args=[letter.pk]), gettext("Download PDF"))


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = models.LetterTemplate
        fields = ["kind", "language", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 28, "cols": 110, "class": "patuh-code"})}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            from cases.sanctions.services.letters import check_template

            check_template(cleaned["kind"], cleaned["subject"], cleaned["body"])  # ValidationError per field
        return cleaned


@admin.register(models.LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    """Administrators edit the letters' text; each save is a new version, refused if it does not render."""

    form = LetterTemplateForm
    list_display = ["kind", "language", "version", "created_at", "created_by"]
    list_filter = ["kind", "language"]
    readonly_fields = ["version", "created_at", "created_by", "fields_you_may_use"]

    def get_fields(self, request, obj=None):
        return ["kind", "language", "subject", "body", "fields_you_may_use", *(
            ["version", "created_at", "created_by"] if obj else [])]

    def has_add_permission(self, request):
        return has_role(request.user, ADMINISTRATOR)

    def has_change_permission(self, request, obj=None):
        return has_role(request.user, ADMINISTRATOR)

    def has_delete_permission(self, request, obj=None):
        return False  # letters point to the version they were produced from

    @admin.display(description=_("fields you may use"))
    def fields_you_may_use(self, obj=None):
        from cases.sanctions.services.letters import FIELDS

        return format_html("<ul>{}</ul>", format_html_join("", "<li><code>{}</code>: {}</li>", FIELDS.items()))

    def save_model(self, request, obj, form, change):
        from cases.sanctions.services.letters import save_template

        saved = save_template(kind=form.cleaned_data["kind"], language=form.cleaned_data["language"],
                              subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                              actor=request.user)
        obj.pk, obj.version = saved.pk, saved.version  # an edit is a new version; the one edited stays


@admin.register(models.Letter)
class LetterAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["number", "language", "kind", "platform", "case", "sanction", "dated", "produced_at",
                    "received_at", "download"]
    list_filter = ["kind", "language", "platform"]
    list_select_related = ["platform", "case", "sanction"]
    search_fields = ["=number", "=case__reference"]
    fields = ["number", "kind", "language", "platform", "case", "sanction", "subject", "dated", "issued_by",
              "template", "sha256", "size", "produced_at", "received_at", "received_by", "download"]
    readonly_fields = fields
    actions = ["english_version"]

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return letter_link(obj)

    @admin.action(description=_("Produce the English version"))
    def english_version(self, request, queryset):
        from cases.core.roles import MINISTRY_WRITERS
        from cases.sanctions.services.letters import translate

        if not has_role(request.user, *MINISTRY_WRITERS):
            raise PermissionDenied
        for letter in queryset.filter(language="id"):
            translate(letter, language="en", actor=request.user)
        self.message_user(request, gettext("The English versions are being produced."), messages.SUCCESS)

    def get_actions(self, request):
        from cases.core.roles import MINISTRY_WRITERS

        actions = super().get_actions(request)
        if not has_role(request.user, *MINISTRY_WRITERS):
            actions.pop("english_version", None)
        return actions
