from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .choices import CalendarSource
from .models import (
    CalendarDay,
    CalendarYear,
    Complaint,
    ComplaintDeadline,
    ComplaintPolicy,
    Reply,
    Route,
    WorkingPeriod,
)
from .services.calendar import start_admin_year


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """R-CMP-WORKDAY: adding a year creates its days from the week; mark the holidays and make-up
    working days under 工作日历, then tick 已按官方安排录入 — only then do clocks use the year."""

    list_display = ("year", "official", "source", "loaded_at", "note")
    list_editable = ("official",)
    readonly_fields = ("loaded_at",)
    fields = ("year", "official", "source", "note", "loaded_at")

    def get_changeform_initial_data(self, request):
        return {"source": CalendarSource.ADMIN}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            start_admin_year(year=obj.year)
            messages.info(request, _("已按周历生成 %(year)s 年的每一天；请标出法定节假日和调休上班日，再勾选“已按官方安排录入”。")
                          % {"year": obj.year})


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_working", "reason", "source")
    list_editable = ("is_working", "reason")
    list_filter = ("is_working", "source", "date")
    date_hierarchy = "date"
    search_fields = ("reason",)
    list_per_page = 100

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.ADMIN
        super().save_model(request, obj, form, change)

    def get_changelist_formset(self, request, **kwargs):
        formset = super().get_changelist_formset(request, **kwargs)

        class AdminSourceFormSet(formset):
            def save_existing(self, form, obj, commit=True):
                obj.source = CalendarSource.ADMIN
                return super().save_existing(form, obj, commit=commit)

        return AdminSourceFormSet


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(admin.ModelAdmin):
    list_display = ("start", "end")


@admin.register(ComplaintPolicy)
class ComplaintPolicyAdmin(admin.ModelAdmin):
    """R-CMP-LIMITS / R-CMP-REPEAT: limits per importance; a running clock keeps the limit it started with."""

    list_display = ("importance", "sorting_limit", "sorting_unit", "analysis_days", "handling_days",
                    "handling_other_days", "total_days", "total_other_days", "repeat_window_days", "repeat_count")


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    """Who a complaint can be routed to, and the leader a breach is escalated to."""

    list_display = ("code", "room", "leader")
    list_editable = ("leader",)
    autocomplete_fields = ("leader",)


class ReplyInline(admin.TabularInline):
    model = Reply
    extra = 0
    can_delete = False
    readonly_fields = ("round", "at", "by_label", "text", "customer_reaction")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = ComplaintDeadline
    extra = 0
    can_delete = False
    readonly_fields = ("stage", "round", "started_at", "limit", "unit", "due_at", "calendar_gap_year", "met_at",
                       "breached_at", "cancelled_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only: complaints change through their page and the API (the services), never here."""

    list_display = ("number", "complaint_id", "stage", "importance", "customer", "received_at", "repeat")
    list_filter = ("stage", "importance", "repeat", "channel")
    search_fields = ("number", "complaint_id", "customer__code", "customer__name")
    date_hierarchy = "received_at"
    inlines = [DeadlineInline, ReplyInline]
    list_select_related = ("customer",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
