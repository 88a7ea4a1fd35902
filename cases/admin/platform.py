"""The platform console's registrations (`platform_site`, at /platform/): only what a liaison may see and do."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases import models
from cases.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline
from cases.admin.cases import PlatformCaseAdmin
from cases.admin.ministry import CommitmentProgressMixin, commitment_text, measured_table
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


@admin.register(models.Commitment, site=platform_site)
class PlatformCommitmentAdmin(CommitmentProgressMixin, ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["short_text", "kind", "status", "due_on", "meeting"]
    list_filter = ["status", "kind"]
    list_select_related = ["meeting"]
    fields = ["meeting", "kind", "text", "text_en", "owner", "owner_name", "status", "due_on", "measured_category",
              "target_hours", "measured_compliance", "source"]
    readonly_fields = fields
    inlines = [PlatformUpdateInline]

    @admin.display(description=_("measured compliance (from the cases)"))
    def measured_compliance(self, obj):
        return measured_table(obj)  # the figures the ministry sees, from this platform's cases

    @admin.display(description=_("commitment"))
    def short_text(self, obj):
        return commitment_text(obj)[:90]


@admin.register(models.Sanction, site=platform_site)
class PlatformSanctionAdmin(ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["level", "status", "letter_reference", "issued_at", "amount"]
    list_filter = ["status", "level"]
    fields = ["level", "status", "letter_reference", "reason", "issued_at", "complied_at", "lifted_at", "amount",
              "status_note"]
    readonly_fields = fields


@admin.register(models.Meeting, site=platform_site)
class PlatformMeetingAdmin(ReadOnlyMixin, LiaisonReads, ScopedAdmin):
    list_display = ["held_on", "title"]
    fields = ["title", "title_en", "held_on", "ends_on", "place", "ministry_attendees", "platform_attendees",
              "minutes", "minutes_en"]
    readonly_fields = fields
