from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from supportdesk.core.admin import ViewOnlyAdmin

from .models import (
    ApiClient,
    ApiScope,
    Delivery,
    DutyShift,
    HelpRequest,
    Notification,
    Room,
    RoomMembership,
    User,
    Vendor,
    WebhookEndpoint,
    default_api_scopes,
)


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


# --------------------------------------------------------------------------- API clients
class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )

    class Meta:
        model = ApiClient
        fields = ("name", "scopes", "active", "acting_user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("scopes", default_api_scopes())

    def clean_scopes(self):
        chosen = set(self.cleaned_data["scopes"])
        return [s for s in ApiScope.values if s in chosen]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Tokens for NOC systems: revoke by unticking "active"; a new key is shown once, then only its hash is kept."""

    form = ApiClientForm
    list_display = ("name", "key_prefix", "scope_list", "active", "acting_user", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "key_prefix")
    readonly_fields = ("key_prefix", "created_at", "last_used_at")
    autocomplete_fields = ["acting_user"]
    actions = ["revoke", "issue_new_key"]

    @admin.display(description=_("权限范围"))
    def scope_list(self, obj):
        return ", ".join(obj.scopes or [])

    def save_model(self, request, obj, form, change):
        token = None if change else obj.set_new_key()
        super().save_model(request, obj, form, change)
        if token:
            self._show_token(request, obj, token)

    def _show_token(self, request, obj, token):
        messages.warning(request, _("%(name)s 的令牌（仅显示这一次，请妥善保存）：%(token)s") % {
            "name": obj.name, "token": token})

    @admin.action(description=_("停用所选客户端（令牌立即失效）"))
    def revoke(self, request, queryset):
        queryset.update(active=False)

    @admin.action(description=_("为所选客户端签发新令牌（旧令牌失效）"))
    def issue_new_key(self, request, queryset):
        for client in queryset:
            token = client.set_new_key()
            client.save(update_fields=["key_prefix", "key_hash"])
            self._show_token(request, client, token)


@admin.register(HelpRequest)
class HelpRequestAdmin(ViewOnlyAdmin):
    """R-HELP: requests for higher support, read-only here (leaders answer them on the dashboard, through the
    service that checks who may answer)."""

    list_display = ("asked_at", "asked_by", "asked_of", "room", "subject_label", "answered_at", "answered_by")
    list_filter = ("asked_of", "room", ("answered_at", admin.EmptyFieldListFilter), "subject_kind")
    list_select_related = ("asked_by", "room", "answered_by")
    search_fields = ("subject_label", "question", "answer", "asked_by__username")
    date_hierarchy = "asked_at"
