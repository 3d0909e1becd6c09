"""Admin pieces every app shares."""
from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the admin shows but never adds, changes or deletes: records written only by the services (events,
    deadlines, help requests) — a change there would bypass the rules that write them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
