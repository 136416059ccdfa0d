from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AlertSettings
from .services import SETTINGS_FIELDS, save_settings


@admin.register(AlertSettings)
class AlertSettingsAdmin(admin.ModelAdmin):
    """The thresholds (one row).  Saving goes through ``services.save_settings`` (validated, audited)."""

    list_display = ("__str__", "writeoff_grace_days", "tax_due_day", "consumption_previous_pct", "updated_at")
    fieldsets = (
        (None, {"fields": ("writeoff_grace_days", "tax_due_day", "domestic_sale_modes", "carryover_match_days")}),
        (
            _("Traffic lights (days left)"),
            {
                "fields": (
                    ("expiry_amber_days", "expiry_red_days"),
                    ("writeoff_amber_days", "writeoff_red_days"),
                    ("tax_amber_days", "tax_red_days"),
                    ("carryover_amber_days", "carryover_red_days"),
                )
            },
        ),
        (_("Notifications"), {"fields": ("notify_amber", "notify_flags")}),
        (
            _("Consumption plausibility"),
            {
                "fields": (
                    "consumption_previous_pct",
                    "consumption_peer_pct",
                    "loss_rate_points",
                    "peer_min_count",
                    "writeoff_actual_pct",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        return not AlertSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in SETTINGS_FIELDS if f in form.cleaned_data}
        if not change:
            AlertSettings.current()
        save_settings(data, by=request.user)
        obj.pk = 1
