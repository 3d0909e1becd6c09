from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Delivery, DutyShift, Notification, Room, RoomMembership, User, Vendor, WebhookEndpoint


class MembershipInline(admin.TabularInline):
    model = RoomMembership
    extra = 1
    autocomplete_fields = ["room"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("支撑"), {"fields": ("phone", "preferred_language", "vendor")}),)
    list_display = ("username", "last_name", "first_name", "phone", "vendor", "is_active")
    list_filter = ("groups", "memberships__room", "vendor", "is_active")
    search_fields = ("username", "first_name", "last_name", "phone", "email")
    inlines = [MembershipInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "phone")
    list_filter = ("kind",)
    search_fields = ("code", "name")


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "phone")
    search_fields = ("name",)


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ("room", "user", "starts_at", "ends_at")
    list_filter = ("room",)
    date_hierarchy = "starts_at"
    autocomplete_fields = ["user"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "format", "active")
    list_filter = ("format", "active")


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "recipient", "address", "status", "attempts", "last_error", "sent_at")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject", "ticket_number")
    list_filter = ("kind",)
    search_fields = ("subject", "ticket_number")
    inlines = [DeliveryInline]
    readonly_fields = ("kind", "subject", "body", "subject_en", "body_en", "link", "ticket_number", "created_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "recipient", "address", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("address", "recipient__username", "notification__ticket_number")
    list_select_related = ("recipient",)
    readonly_fields = ("notification", "channel", "recipient", "endpoint", "address", "attempts", "last_error",
                       "sent_at", "read_at")
    actions = ["retry_now"]

    @admin.action(description=_("立即重试"))
    def retry_now(self, request, queryset):
        from django.utils import timezone

        from .notify.api import enqueue

        ids = list(queryset.exclude(status="sent").values_list("pk", flat=True))
        queryset.filter(pk__in=ids).update(status="pending", next_attempt_at=timezone.now())
        enqueue(ids)
