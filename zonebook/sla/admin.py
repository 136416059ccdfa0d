from django.contrib import admin

from .models import Deadline, Escalation, EscalationStep, SlaPolicy


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "legal_limit", "promised_limit", "warn_pct", "red_pct", "active")
    inlines = [StepInline]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ("policy", "content_type", "object_id", "state", "due_at", "provisional")
    list_filter = ("state", "provisional", "policy")

    def has_change_permission(self, request, obj=None):  # clocks change only through the services
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ("deadline", "target", "fire_at", "state", "done_at")
    list_filter = ("state", "target")

    def has_change_permission(self, request, obj=None):
        return False
