from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases import models


class ScopedAdmin(admin.ModelAdmin):
    """Every queryset goes through the model's `visible_to(user)`."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = models.PlatformMembership
    extra = 0
    autocomplete_fields = ["user"]


class OverrideInline(admin.TabularInline):
    model = models.DeadlineOverride
    extra = 0
    fk_name = "platform"


@admin.register(models.Platform)
class PlatformAdmin(ScopedAdmin):
    list_display = ["name", "kind", "business_scale", "contact_email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, OverrideInline]


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = models.CaseEvent
    extra = 0
    fields = ["created_at", "kind", "actor_name", "from_status", "to_status", "visibility", "note"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]


@admin.register(models.Case)
class CaseAdmin(ScopedAdmin):
    list_display = ["reference", "platform", "category", "tier", "status", "due_at", "is_late", "assigned_to"]
    list_filter = ["status", "tier", "category", "platform", "source", "is_late"]
    list_select_related = ["platform", "assigned_to"]
    search_fields = ["=reference", "location_url", "handle"]
    show_full_result_count = False
    readonly_fields = [
        "reference", "status", "normalized_location", "created_at", "submitted_at", "acknowledged_at",
        "actioned_at", "objected_at", "verified_at", "withdrawn_at", "deadline_hours", "due_at", "overdue_at",
        "is_late", "action_taken", "action_taken_at", "objection_reason", "objection_text", "created_by",
        "submitted_by", "version",
    ]
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False  # cases are opened through the service (console forms come with the ministry console)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["created_at", "case", "kind", "actor_name", "from_status", "to_status", "visibility"]
    list_filter = ["kind", "visibility"]
    list_select_related = ["case"]
    search_fields = ["=case__reference"]


class CommitmentInline(admin.TabularInline):
    model = models.Commitment
    extra = 0
    fields = ["platform", "kind", "text", "text_en", "status", "measured_category", "target_hours"]


@admin.register(models.Meeting)
class MeetingAdmin(ScopedAdmin):
    list_display = ["held_on", "title", "place"]
    filter_horizontal = ["platforms"]
    inlines = [CommitmentInline]


class CommitmentUpdateInline(ReadOnlyMixin, admin.TabularInline):
    model = models.CommitmentUpdate
    extra = 0
    fields = ["created_at", "author", "status", "progress_percent", "note"]
    readonly_fields = fields


@admin.register(models.Commitment)
class CommitmentAdmin(ScopedAdmin):
    list_display = ["platform", "kind", "text_en", "status", "due_on"]
    list_filter = ["platform", "status", "kind"]
    list_select_related = ["platform"]
    inlines = [CommitmentUpdateInline]


@admin.register(models.Sanction)
class SanctionAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["platform", "level", "status", "proposed_at", "issued_at", "letter_reference", "amount"]
    list_filter = ["status", "level", "platform"]
    list_select_related = ["platform"]


@admin.register(models.DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "default_tier", "urgent_hours", "standard_hours"]
    list_editable = ["default_tier", "urgent_hours", "standard_hours"]

    def has_add_permission(self, request):
        return False  # one row per category, created by migration

    def has_delete_permission(self, request, obj=None):
        return False


class FineFactorInline(admin.TabularInline):
    model = models.FineFactorValue
    extra = 0


@admin.register(models.FinePolicy)
class FinePolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "effective_from", "points_cap", "tariff_per_point", "currency"]
    inlines = [FineFactorInline]


@admin.register(models.Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_email", "subject", "sent_at", "attempts"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]


admin.site.site_header = _("Patuh: ministry console")
admin.site.site_title = _("Patuh")
admin.site.index_title = _("Takedown orders, deadlines and compliance")
