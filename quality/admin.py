from django.contrib import admin

from .models import (
    DialSchedule,
    DialTarget,
    Indicator,
    QualityDialTest,
    QualityWarning,
    ServiceIndicator,
    Threshold,
    Watermark,
)


class ServiceIndicatorInline(admin.TabularInline):
    model = ServiceIndicator
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "fluctuation", "fluct_z", "fluct_min_scale", "fluct_k", "fluct_m", "position"]
    list_editable = ["fluctuation", "fluct_z", "fluct_min_scale", "fluct_k", "fluct_m", "position"]
    inlines = [ServiceIndicatorInline]


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ["service_type", "indicator", "tier", "comparison", "limit", "k", "m"]
    list_filter = ["service_type", "tier", "indicator"]
    list_editable = ["limit", "k", "m"]


@admin.register(DialSchedule)
class DialScheduleAdmin(admin.ModelAdmin):
    list_display = ["tier", "every_minutes", "attempts"]
    list_editable = ["every_minutes", "attempts"]


@admin.register(DialTarget)
class DialTargetAdmin(admin.ModelAdmin):
    list_display = ["circuit", "module", "target"]
    search_fields = ["circuit__circuit_id", "target"]
    raw_id_fields = ["circuit"]


@admin.register(QualityWarning)
class QualityWarningAdmin(admin.ModelAdmin):
    list_display = ["circuit", "indicator", "kind", "state", "started_at", "cleared_at", "value", "limit_or_baseline",
                    "ticket"]
    list_filter = ["state", "kind"]
    search_fields = ["circuit__circuit_id", "alarm_id"]
    raw_id_fields = ["circuit", "ticket"]
    list_select_related = ["circuit", "indicator", "ticket"]


@admin.register(QualityDialTest)
class QualityDialTestAdmin(admin.ModelAdmin):
    list_display = ["circuit", "at", "trigger", "result", "latency_ms", "loss_pct", "ticket"]
    list_filter = ["result", "trigger"]
    search_fields = ["circuit__circuit_id"]
    raw_id_fields = ["circuit", "ticket", "by"]
    list_select_related = ["circuit", "ticket"]


@admin.register(Watermark)
class WatermarkAdmin(admin.ModelAdmin):
    list_display = ["name", "last_sample_id", "updated_at"]
    readonly_fields = ["name", "last_sample_id", "updated_at"]
