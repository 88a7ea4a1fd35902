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

from cases import clock, models
from cases.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline, person_display
from cases.admin.cases import MinistryCaseAdmin
from cases.admin.dashboards import scorecard
from cases.choices import SanctionLevel, SanctionStatus, Virality
from cases.reports import ReportScope
from cases.roles import ADMINISTRATOR, MINISTRY_WRITERS, SUPERVISOR, has_role, liaison_platform_ids
from cases.selectors import measure_commitment
from cases.services import sanctions as sanction_services
from cases.services.commitments import post_update
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


def render_scorecard(periods) -> str:
    rows = []
    for period in periods:
        for r in period["rows"]:
            share = f"{r.on_time_share:.0%}" if r.on_time_share is not None else "—"
            rows.append((period["days"], r.received, r.acknowledged, r.actioned, r.overdue_now, share))
    if not rows:
        return gettext("No submitted cases in the last 90 days.")
    head = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                       _("days"), _("received"), _("acknowledged"), _("actioned"), _("overdue now"),
                       _("within deadline"))
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html('<table class="patuh-table">{}{}</table>', head, body)


@admin.register(models.Platform)
class PlatformAdmin(SupervisorWrites, ScopedAdmin):
    list_display = ["name", "kind", "business_scale", "standing", "contact_email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, OverrideInline]
    readonly_fields = ["standing", "scorecard"]

    def get_queryset(self, request):
        self._standings = sanction_services.standings()
        return super().get_queryset(request)

    @admin.display(description=_("standing"))
    def standing(self, obj):
        from cases.choices import PlatformStanding

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


@admin.register(models.Meeting)
class MeetingAdmin(SupervisorWrites, ScopedAdmin):
    list_display = ["held_on", "title", "place", "commitment_count"]
    list_filter = ["platforms"]
    search_fields = ["title", "title_en", "minutes"]
    filter_horizontal = ["platforms"]
    inlines = [CommitmentInline]

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
            except (ValidationError, PermissionDenied) as err:
                self.message_user(request, "; ".join(getattr(err, "messages", [str(err)])), messages.ERROR)
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
class CommitmentAdmin(CommitmentProgressMixin, SupervisorWrites, ScopedAdmin):
    list_display = ["platform", "kind", "short_text", "status", "due_on", "measured"]
    list_filter = ["platform", "status", "kind", "owner"]
    list_select_related = ["platform"]
    search_fields = ["text", "text_en"]
    inlines = [CommitmentUpdateInline]
    readonly_fields = ["measured_compliance"]

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
        share = f"{m.share:.0%}" if m.share is not None else "—"
        rows.append((days, m.cases, m.decided, m.met, share))
    return format_html(
        '<table class="patuh-table"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
        _("days"), _("cases"), _("decided"), _("within target"), _("share"),
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


# --- sanctions -------------------------------------------------------------------------------------------


class ProposeForm(forms.ModelForm):
    class Meta:
        model = models.Sanction
        fields = ["platform", "level", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean(self):
        cleaned = super().clean()
        platform = cleaned.get("platform")
        if platform and models.Sanction.objects.filter(platform=platform, status=SanctionStatus.PROPOSED).exists():
            raise forms.ValidationError(
                _("%(platform)s already has a sanction awaiting a decision; decide that one first.")
                % {"platform": platform})
        return cleaned


class IssueForm(forms.Form):
    letter_reference = forms.CharField(label=_("Letter reference"), max_length=100)
    virality = forms.ChoiceField(label=_("Virality (fines only)"), choices=Virality.choices, initial=Virality.LOW)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


SANCTION_STEPS = {
    # step: (form, service call, allowed from, label)
    "issue": (IssueForm, lambda s, u, d: sanction_services.issue_sanction(s, actor=u, **d),
              (SanctionStatus.PROPOSED,), _("Issue")),
    "comply": (NoteForm, lambda s, u, d: sanction_services.mark_complied(s, actor=u, **d),
               (SanctionStatus.ISSUED,), _("Mark complied / paid")),
    "lift": (LiftForm, lambda s, u, d: sanction_services.lift_sanction(s, actor=u, **d),
             (SanctionStatus.PROPOSED, SanctionStatus.ISSUED), _("Lift / dismiss")),
}


class CitationInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    model = models.SanctionCase
    extra = 0
    fields = ["case", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")


@admin.register(models.Sanction)
class SanctionAdmin(ScopedAdmin):
    list_display = ["platform", "level", "status", "proposed_at", "issued_at", "letter_reference", "amount"]
    list_filter = ["status", "level", "platform"]
    list_select_related = ["platform"]
    change_form_template = "patuh/sanction_change_form.html"
    inlines = [CitationInline]
    proposed_by_name = person_display(models.Sanction, "proposed_by")
    issued_by_name = person_display(models.Sanction, "issued_by")
    lifted_by_name = person_display(models.Sanction, "lifted_by")
    readonly_fields = ["platform", "level", "status", "reason", "letter_reference", "proposed_at",
                       "proposed_by_name", "issued_at", "issued_by_name", "complied_at", "lifted_at", "lifted_by_name",
                       "status_note", "amount", "fine_inputs"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ProposeForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["platform", "level", "reason"] if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return is_supervisor(request)

    def has_change_permission(self, request, obj=None):
        return False  # every change is a step through the sanctions service

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = sanction_services.propose_sanction(platform=form.cleaned_data["platform"],
                                                       level=form.cleaned_data["level"], actor=request.user,
                                                       reason=form.cleaned_data["reason"])
        except ValidationError as err:
            raise PermissionDenied("; ".join(err.messages)) from err
        obj.pk = saved.pk

    def log_addition(self, request, obj, message):
        pass

    def get_urls(self):
        return [path("<path:object_id>/step/<str:step>/", self.admin_site.admin_view(self.step_view),
                     name="cases_sanction_step"), *super().get_urls()]

    def step_view(self, request, object_id, step):
        sanction = self.get_object(request, unquote(object_id))
        if sanction is None or step not in SANCTION_STEPS:
            raise Http404
        if not is_supervisor(request):
            raise PermissionDenied
        form_class, call, allowed, label = SANCTION_STEPS[step]
        url = reverse("admin:cases_sanction_change", args=[sanction.pk])
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                call(sanction, request.user, form.cleaned_data)
                self.message_user(request, gettext("%(label)s: done.") % {"label": label}, messages.SUCCESS)
                return HttpResponseRedirect(url)
            except ValidationError as err:
                for message in err.messages:
                    form.add_error(None, message)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": label,
                   "object": sanction, "change_url": url}
        return TemplateResponse(request, "patuh/step_form.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and is_supervisor(request):
            context["steps"] = [(key, label) for key, (_f, _c, allowed, label) in SANCTION_STEPS.items()
                                if obj.status in allowed]
        context["ladder"] = SanctionLevel.choices
        return super().render_change_form(request, context, add, change, form_url, obj)


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
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "urgent", "sent_at", "attempts"]
    list_filter = ["kind", "urgent", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "to_email"]
    show_full_result_count = False


@admin.register(models.CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, ScopedAdmin):
    """The audit trail across cases, for auditors."""

    list_display = ["created_at", "case", "kind", "actor_name", "from_label", "to_label", "visibility"]
    list_filter = ["kind", "visibility"]
    list_select_related = ["case"]
    search_fields = ["=case__reference", "actor_name"]
    date_hierarchy = None

    @admin.display(description=_("from status"), ordering="from_status")
    def from_label(self, obj):
        return status_label(obj.from_status) if obj.from_status else "—"

    @admin.display(description=_("to status"), ordering="to_status")
    def to_label(self, obj):
        return status_label(obj.to_status) if obj.to_status else "—"

