"""Admin for customers, their contacts, sites and circuits, and the tier escalation policies."""
from django.contrib import admin

from . import models as m


class ContactInline(admin.TabularInline):
    model = m.Contact
    extra = 0


class SiteInline(admin.TabularInline):
    model = m.Site
    extra = 0


@admin.register(m.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "account_manager")
    list_filter = ("tier",)
    search_fields = ("code", "name")
    inlines = [ContactInline, SiteInline]


@admin.register(m.Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("customer", "name", "phone", "is_technical")
    search_fields = ("name", "phone", "customer__name", "customer__code")
    list_select_related = ("customer",)


@admin.register(m.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("customer", "name", "address", "latitude", "longitude")
    search_fields = ("address", "name", "customer__name", "customer__code")
    list_select_related = ("customer",)


@admin.register(m.Circuit)
class CircuitAdmin(admin.ModelAdmin):
    list_display = ("circuit_id", "customer", "service_type", "bandwidth", "maintenance_vendor")
    list_filter = ("service_type", "customer__tier", "maintenance_vendor")
    search_fields = ("circuit_id", "customer__name", "customer__code")
    list_select_related = ("customer", "maintenance_vendor")
    autocomplete_fields = ["customer", "a_site", "z_site"]


@admin.register(m.EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("tier", "important", "joint_after", "arrival_after", "broadcast_every",
                    "auto_restore_on_clear", "version")
    readonly_fields = ("version", "updated_at")
