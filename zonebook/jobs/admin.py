from django.contrib import admin

from .models import Job, ScheduleRun


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "label",
        "kind",
        "state",
        "done",
        "total",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "kind")
    search_fields = ("label", "kind", "created_by__username")
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ("schedule", "slot", "manual", "job", "claimed_at", "claimed_by")
    list_filter = ("schedule", "manual")
    readonly_fields = [f.name for f in ScheduleRun._meta.fields]

    def has_add_permission(self, request):
        return False
