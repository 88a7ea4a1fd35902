"""Re-checks in the consoles: the case page's buttons (re-check now; confirm or dismiss the proposed reopen), the
re-check lists of both consoles and the hosts' limits. The case page's panel itself is the `recheck_panel`
template tag (cases/templatetags/rechecks.py), included by patuh/case_change_form.html.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import models
from cases.cases.workflow import TransitionError
from cases.core.admin.base import ReadOnlyMixin, ScopedAdmin
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.evidence.services import rechecks
from cases.sites import platform_site

VERDICT_TONES = {"gone": "green", "restricted": "amber", "live": "red", "unknown": "grey"}


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RecheckCaseMixin:
    """The ministry case page's re-check buttons. Each posts to a view that calls the re-check services."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/recheck/", self.admin_site.admin_view(self.recheck_view),
                 name=f"{prefix}_recheck"),
            path("<path:object_id>/recheck/confirm/", self.admin_site.admin_view(self.recheck_confirm_view),
                 name=f"{prefix}_recheck_confirm"),
            path("<path:object_id>/recheck/dismiss/", self.admin_site.admin_view(self.recheck_dismiss_view),
                 name=f"{prefix}_recheck_dismiss"),
            *super().get_urls(),
        ]

    def _refused(self, request, err) -> None:
        self.message_user(request, "; ".join(getattr(err, "messages", None) or [getattr(err, "message", str(err))]),
                          messages.ERROR)

    def recheck_view(self, request, object_id):
        case = self._case_or_404(request, object_id)
        if request.method == "POST":
            try:
                rows = rechecks.request_recheck(case, actor=request.user)
                self.message_user(request, gettext("%(ref)s: re-check queued from %(n)d vantage point(s); the result "
                                                   "appears on the timeline.") % {"ref": case.reference,
                                                                                 "n": len(rows)}, messages.SUCCESS)
            except (ValidationError, PermissionDenied) as err:
                self._refused(request, err)
        return HttpResponseRedirect(self._change_url(case))

    def recheck_confirm_view(self, request, object_id):
        case = self._case_or_404(request, object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rechecks.confirm_reopen(case, actor=request.user, note=form.cleaned_data["note"])
                self.message_user(request, gettext("%(ref)s reopened: the platform has a new deadline.")
                                  % {"ref": case.reference}, messages.SUCCESS)
            except TransitionError as err:
                self._refused(request, err)
        return HttpResponseRedirect(self._change_url(case))

    def recheck_dismiss_view(self, request, object_id):
        case = self._case_or_404(request, object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                rechecks.dismiss_flag(case, actor=request.user, note=form.cleaned_data["note"])
                self.message_user(request, gettext("%(ref)s: the still-live flag was dismissed.")
                                  % {"ref": case.reference}, messages.SUCCESS)
            except (ValidationError, PermissionDenied) as err:
                self._refused(request, err)
        return HttpResponseRedirect(self._change_url(case))

    @admin.display(description=_("re-check"))
    def recheck_flag(self, obj):
        if getattr(obj, "still_live", False):
            return format_html('<span class="patuh-badge tone-red" title="{}">{}</span>',
                               gettext("A re-check found the content live after the platform reported removal."),
                               gettext("reported removed, still live"))
        return ""

    def get_queryset(self, request):
        from django.db.models import Exists, OuterRef

        flags = models.StillLiveFlag.objects.open().filter(case=OuterRef("pk"))
        return super().get_queryset(request).annotate(still_live=Exists(flags))


# --- the lists ------------------------------------------------------------------------------------------------

RECHECK_FIELDS = ["case", "cycle", "reason", "slot", "vantage", "url", "status", "due_at", "checked_at", "verdict",
                  "interpreter", "http_status", "finding", "elapsed_ms", "contradicts", "evidence_link", "note"]


class SiteReads:
    """Whoever may enter the console reads these rows (scoped): ministry staff in theirs, liaisons in theirs. The
    rows are written by the re-check service only, never through a form."""

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)


class RecheckAdminBase(SiteReads, ReadOnlyMixin, ScopedAdmin):
    list_display = ["case", "slot", "vantage", "verdict_badge", "http_status", "checked_at", "short_finding"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "url"]
    fields = RECHECK_FIELDS
    readonly_fields = RECHECK_FIELDS

    @admin.display(description=_("verdict"), ordering="verdict")
    def verdict_badge(self, obj):
        if not obj.verdict:
            return obj.get_status_display()
        return format_html('<span class="patuh-badge tone-{}">{}</span>', VERDICT_TONES[obj.verdict],
                           obj.get_verdict_display())

    @admin.display(description=_("what was seen"))
    def short_finding(self, obj):
        return obj.finding[:140]

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        if not obj.evidence_id:
            return "—"
        return format_html('<a href="{}">{} {}…</a>', reverse("cases:evidence-download", args=[obj.evidence_id]),
                           gettext("download"), obj.evidence.sha256[:16])


@admin.register(models.Recheck)
class RecheckAdmin(RecheckAdminBase):
    list_display = [*RecheckAdminBase.list_display, "status", "contradicts"]
    list_filter = ["verdict", "status", "reason", "vantage", "contradicts",
                   ("platform", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "due_at"


@admin.register(models.RecheckHost)
class RecheckHostAdmin(SiteReads, ReadOnlyMixin, ScopedAdmin):
    list_display = ["host", "next_slot_at", "failures", "open_until", "times_opened", "last_success_at",
                    "last_failure_at", "last_error"]
    search_fields = ["host"]
    fields = list_display
    readonly_fields = list_display


@admin.register(models.Recheck, site=platform_site)
class PlatformRecheckAdmin(RecheckAdminBase):
    list_filter = ["verdict", "vantage"]
    fields = [f for f in RECHECK_FIELDS if f not in ("note", "status", "due_at")]
    readonly_fields = fields


def may_request(user) -> bool:
    return has_role(user, *MINISTRY_WRITERS)


# django-tasks-db registers its job results in the ministry console; job arguments are internal ids and the
# queue is an operator's concern (`manage.py worker`), not a console page. The same guarded call is in h16's
# webhook admin; whichever runs second finds nothing to do.
def _unregister_job_results() -> None:
    from django_tasks_db.models import DBTaskResult

    if admin.site.is_registered(DBTaskResult):
        admin.site.unregister(DBTaskResult)


_unregister_job_results()
