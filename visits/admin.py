"""Admin for every visits model. The visit's state only moves through the services (the pages and the API);
here it is read-only, and events are never edited."""
from django.contrib import admin

from supportdesk.core.admin import ViewOnlyAdmin

from .models import (
    AppointmentCall,
    ChecklistItem,
    ChecklistTemplate,
    CustomerParticipant,
    DocumentReview,
    DocumentTemplate,
    IncomingDocument,
    InspectionResult,
    Visit,
    VisitDocument,
    VisitEvent,
    VisitParticipant,
    VisitPolicy,
    VisitProblem,
    VisitReminder,
)


@admin.register(VisitPolicy)
class VisitPolicyAdmin(admin.ModelAdmin):
    list_display = ("tier", "interval_days", "call_reminder_hours", "fault_review_within_days", "updated_at")


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    list_filter = ("active",)
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ("text", "template", "order")
    list_filter = ("template",)


class ParticipantInline(admin.TabularInline):
    model = VisitParticipant
    extra = 0
    readonly_fields = ("kind", "user", "lead", "room")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CustomerParticipantInline(admin.TabularInline):
    model = CustomerParticipant
    extra = 0


class AppointmentCallInline(admin.StackedInline):
    model = AppointmentCall
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProblemInline(admin.StackedInline):
    model = VisitProblem
    extra = 0
    fields = ("description", "solved_on_site", "solution", "owner", "due_date", "follow_up", "closed_at", "ticket")
    readonly_fields = ("ticket",)
    raw_id_fields = ("owner",)


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "kind", "state", "planned_at", "actual_at", "owner")
    list_filter = ("state", "kind", "customer__tier")
    search_fields = ("number", "customer__name", "customer__code", "subject", "place")
    date_hierarchy = "planned_at"
    readonly_fields = ("number", "state", "actual_at", "proposed_for", "created_by", "created_at", "updated_at")
    raw_id_fields = ("customer", "owner", "tickets")
    list_select_related = ("customer", "owner")
    inlines = [ParticipantInline, CustomerParticipantInline, AppointmentCallInline, ProblemInline]


@admin.register(VisitParticipant)
class VisitParticipantAdmin(admin.ModelAdmin):
    list_display = ("visit", "user", "kind", "lead", "room")
    list_filter = ("kind",)
    raw_id_fields = ("visit", "user", "lead")


@admin.register(CustomerParticipant)
class CustomerParticipantAdmin(admin.ModelAdmin):
    list_display = ("visit", "name", "title", "phone")
    search_fields = ("name", "phone")
    raw_id_fields = ("visit",)


@admin.register(AppointmentCall)
class AppointmentCallAdmin(admin.ModelAdmin):
    list_display = ("visit", "direction", "caller", "callee_name", "called_at", "confirmed_time")
    raw_id_fields = ("visit", "caller")


@admin.register(VisitProblem)
class VisitProblemAdmin(admin.ModelAdmin):
    list_display = ("description", "visit", "solved_on_site", "owner", "due_date", "closed_at", "ticket")
    list_filter = ("solved_on_site",)
    search_fields = ("description",)
    raw_id_fields = ("visit", "owner", "ticket", "closed_by", "created_by")


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "version", "active")
    list_filter = ("kind", "active")


class DocumentReviewInline(admin.TabularInline):
    model = DocumentReview
    extra = 0
    readonly_fields = ("reviewer", "decision", "note", "decided_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(VisitDocument)
class VisitDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "visit", "kind", "state", "author", "sent_at", "received_at")
    list_filter = ("kind", "state")
    search_fields = ("title",)
    readonly_fields = ("state", "sent_at", "sent_by", "sent_notice", "received_at", "received_notice")
    raw_id_fields = ("visit", "author")
    inlines = [DocumentReviewInline]


@admin.register(DocumentReview)
class DocumentReviewAdmin(admin.ModelAdmin):
    list_display = ("document", "reviewer", "decision", "decided_at")
    list_filter = ("decision",)
    readonly_fields = ("document", "reviewer", "decision", "note", "decided_at")


@admin.register(InspectionResult)
class InspectionResultAdmin(admin.ModelAdmin):
    list_display = ("visit", "item", "result", "note", "recorded_at")
    list_filter = ("result",)
    raw_id_fields = ("visit", "item", "recorded_by")


@admin.register(VisitReminder)
class VisitReminderAdmin(admin.ModelAdmin):
    list_display = ("kind", "visit", "problem", "sent_at")
    list_filter = ("kind",)
    raw_id_fields = ("visit", "problem", "notification")


@admin.register(VisitEvent)
class VisitEventAdmin(ViewOnlyAdmin):
    list_display = ("visit", "at", "actor_label", "kind", "from_state", "to_state")
    list_filter = ("kind",)
    raw_id_fields = ("visit",)


@admin.register(IncomingDocument)
class IncomingDocumentAdmin(admin.ModelAdmin):
    """R-VISIT-4: documents received from customers and their acknowledgement."""

    list_display = ("title", "customer", "kind", "sender", "received_at", "acknowledged_at")
    list_filter = ("kind",)
    search_fields = ("title", "sender", "customer__name", "customer__code")
    raw_id_fields = ("customer", "visit", "ticket", "registered_by", "acknowledged_by")
