"""The platform console's registrations (`platform_site`, at /platform/): only what a liaison may see and do."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases import models
from cases.cases.admin.cases import PlatformCaseAdmin
from cases.cases.admin.ministry import CommitmentProgressMixin, commitment_text, measured_table
from cases.core.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline
from cases.core.admin.filters import FilterSetAdmin
from cases.core.filtersets import CommitmentFilterSet, MeetingFilterSet, SanctionFilterSet
from cases.sites import platform_site


class LiaisonReads:
    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)


platform_site.register(models.Case, PlatformCaseAdmin)


class PlatformUpdateInline(ScopedInline, ReadOnlyMixin, LiaisonReads, admin.TabularInline):
    model = models.CommitmentUpdate
    extra = 0
    fields = ["created_at", "author", "status", "progress_percent", "note", "evidence_url"]
    readonly_fields = fields


class PlatformCommitmentEventInline(ScopedInline, ReadOnlyMixin, LiaisonReads, admin.TabularInline):
    """The commitment's audited steps, as the ministry sees them."""

    model = models.CommitmentEvent
    extra = 0
    fields = ["created_at", "kind", "actor_name", "from_status", "to_status", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history (audited steps)")


@admin.register(models.Commitment, site=platform_site)
class PlatformCommitmentAdmin(FilterSetAdmin, CommitmentProgressMixin, ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["short_text", "kind", "status", "due_on", "meeting"]
    filterset_class = CommitmentFilterSet  # the API's filters and search (admin/filters.py)
    filterset_hidden = ("platform",)
    list_select_related = ["meeting"]
    fields = ["meeting", "kind", "text", "text_en", "owner", "owner_name", "status", "due_on", "measured_category",
              "target_hours", "measured_compliance", "source"]
    readonly_fields = fields
    inlines = [PlatformUpdateInline, PlatformCommitmentEventInline]

    @admin.display(description=_("measured compliance (from the cases)"))
    def measured_compliance(self, obj):
        return measured_table(obj)  # the figures the ministry sees, from this platform's cases

    @admin.display(description=_("commitment"))
    def short_text(self, obj):
        return commitment_text(obj)[:90]


@admin.register(models.Sanction, site=platform_site)
class PlatformSanctionAdmin(FilterSetAdmin, ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["level", "status", "letter_reference", "issued_at", "amount"]
    filterset_class = SanctionFilterSet  # the API's filters (admin/filters.py)
    filterset_hidden = ("platform",)
    fields = ["level", "status", "letter_reference", "reason", "issued_at", "complied_at", "lifted_at", "amount",
              "status_note"]
    readonly_fields = fields


@admin.register(models.Letter, site=platform_site)
class PlatformLetterAdmin(ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    """The platform's letters: takedown orders and sanctions. The first download is recorded as its receipt."""

    list_display = ["number", "language", "kind", "case", "dated", "received_at", "download"]
    list_filter = ["kind", "language"]
    list_select_related = ["case"]
    search_fields = ["=number", "=case__reference"]
    fields = ["number", "kind", "language", "case", "subject", "dated", "sha256", "received_at", "download"]
    readonly_fields = fields

    @admin.display(description=_("PDF"))
    def download(self, obj):
        from cases.cases.admin.ministry import letter_link

        return letter_link(obj)


@admin.register(models.Meeting, site=platform_site)
class PlatformMeetingAdmin(FilterSetAdmin, ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["held_on", "title"]
    filterset_class = MeetingFilterSet  # the API's filters and search (admin/filters.py)
    filterset_hidden = ("platform",)
    fields = ["title", "title_en", "held_on", "ends_on", "place", "ministry_attendees", "platform_attendees",
              "minutes", "minutes_en"]
    readonly_fields = fields
