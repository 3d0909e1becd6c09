"""Admin for every ticket model: usable by an operator, with the event log read-only."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supportdesk.core.admin import ViewOnlyAdmin

from . import models as m


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = m.TicketEvent
    fields = ("at", "actor_label", "kind", "from_state", "to_state", "note")
    readonly_fields = fields


class DeadlineInline(ReadOnlyInline):
    model = m.Deadline
    fields = ("kind", "round", "sequence", "due_at", "met_at", "breached_at", "cancelled_at")
    readonly_fields = fields


class AlarmInline(ReadOnlyInline):
    model = m.Alarm
    fields = ("alarm_id", "severity", "outage", "raised_at", "cleared_at", "correlated")
    readonly_fields = fields


class InvolvementInline(ReadOnlyInline):
    model = m.TicketRoom
    fields = ("room", "role", "notified_at", "joined_joint_at", "must_arrive", "site_kind")
    readonly_fields = fields


@admin.register(m.FaultTicket)
class FaultTicketAdmin(admin.ModelAdmin):
    """Tickets change only through their transitions (the web pages and the API); here they are read."""

    list_display = ("number", "state", "tier", "customer", "circuit_ref", "lead_room", "occurred_at", "needs_triage")
    list_filter = ("state", "tier", "lead_room", "needs_triage", "important")
    search_fields = ("number", "circuit_ref", "customer__name", "customer__code", "title")
    list_select_related = ("customer", "lead_room")
    date_hierarchy = "occurred_at"
    inlines = [InvolvementInline, AlarmInline, DeadlineInline, EventInline]
    readonly_fields = [f.name for f in m.FaultTicket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ("alarm_id", "ticket", "category", "severity", "outage", "circuit_ref", "raised_at", "cleared_at")
    list_filter = ("category", "severity", "outage", "correlated")
    search_fields = ("alarm_id", "circuit_ref", "ticket__number")
    list_select_related = ("ticket",)
    readonly_fields = [f.name for f in m.Alarm._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketChildAdmin(ViewOnlyAdmin):
    list_select_related = ("ticket",)
    search_fields = ("ticket__number", "ticket__circuit_ref", "ticket__customer__name")


@admin.register(m.Deadline)
class DeadlineAdmin(TicketChildAdmin):
    list_display = ("ticket", "kind", "sequence", "due_at", "met_at", "breached_at", "cancelled_at")
    list_filter = ("kind", "ticket__tier")
    date_hierarchy = "due_at"


@admin.register(m.Escalation)
class EscalationAdmin(TicketChildAdmin):
    list_display = ("ticket", "kind", "room", "rule", "at", "reason")
    list_filter = ("kind", "rule", "room")


@admin.register(m.Broadcast)
class BroadcastAdmin(TicketChildAdmin):
    list_display = ("ticket", "seq", "kind", "at", "missed_slots")
    list_filter = ("kind",)


@admin.register(m.Arrival)
class ArrivalAdmin(TicketChildAdmin):
    list_display = ("ticket", "room", "user", "site_kind", "at", "distance_m")
    list_filter = ("room", "site_kind")


@admin.register(m.ProgressNote)
class ProgressNoteAdmin(TicketChildAdmin):
    list_display = ("ticket", "room", "author", "kind", "at")
    list_filter = ("room", "kind")


@admin.register(m.PhoneNotification)
class PhoneNotificationAdmin(TicketChildAdmin):
    list_display = ("ticket", "room", "callee", "called_at", "answered", "attempts")
    list_filter = ("room", "answered")


@admin.register(m.DialTest)
class DialTestAdmin(TicketChildAdmin):
    list_display = ("ticket", "method", "result", "at", "by")
    list_filter = ("result", "method")


@admin.register(m.Explanation)
class ExplanationAdmin(TicketChildAdmin):
    list_display = ("ticket", "state", "drafted_by", "drafted_at", "reviewed_by", "released_at")
    list_filter = ("state",)


@admin.register(m.PreArrivalCheck)
class PreArrivalCheckAdmin(TicketChildAdmin):
    list_display = ("ticket", "engineer", "contact_name", "called_at", "eta")


@admin.register(m.SiteMember)
class SiteMemberAdmin(TicketChildAdmin):
    list_display = ("ticket", "user", "at")


@admin.register(m.CustomerUpdate)
class CustomerUpdateAdmin(TicketChildAdmin):
    """R-CUST-UPDATE: what the customer's technical contact was told, read-only (recorded on the ticket page)."""

    list_display = ("ticket", "round", "at", "by", "contact", "channel", "text")
    list_filter = ("channel", "ticket__tier", "round")
    list_select_related = ("ticket", "by")
    search_fields = TicketChildAdmin.search_fields + ("contact", "text")
    date_hierarchy = "at"


@admin.register(m.TicketEvent)
class TicketEventAdmin(TicketChildAdmin):
    list_display = ("ticket", "at", "actor_label", "kind", "from_state", "to_state", "note")
    list_filter = ("kind",)
    date_hierarchy = "at"


@admin.register(m.SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    list_display = ("finished_at", "origin", "due", "joint_started", "arrival_breaches", "broadcasts",
                    "missed_slots", "deliveries_requeued")
    readonly_fields = [f.name for f in m.SweepRun._meta.fields]

    def has_add_permission(self, request):
        return False


admin.site.site_header = _("集团客户故障支撑系统")
admin.site.site_title = _("supportdesk")


@admin.register(m.AlarmIntegration)
class AlarmIntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "client", "default_category", "default_severity", "default_outage",
                    "last_received_at", "received_count", "rejected_count")
    list_filter = ("kind",)
    search_fields = ("name", "client__name")
    fieldsets = (
        (None, {"fields": ("name", "kind", "client")}),
        (_("映射"), {"fields": ("label_mapping", "value_mappings")}),
        (_("默认值"), {"fields": ("default_category", "default_severity", "default_outage")}),
        (_("接收统计"), {"fields": ("last_received_at", "received_count", "rejected_count", "created_at")}),
    )
    readonly_fields = ("last_received_at", "received_count", "rejected_count", "created_at")
