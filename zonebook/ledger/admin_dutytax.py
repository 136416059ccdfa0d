"""Admin pages of the dated tax and interest rate tables (内销); every save goes through the audited
service (``services.duty.save_tax_rate`` / ``save_interest_rate``).  Rows are ended, never deleted."""

from django.contrib import admin

from .models import InterestRate, TaxRate
from .services.duty import INTEREST_FIELDS, TAX_FIELDS, save_interest_rate, save_tax_rate


class _RateAdmin(admin.ModelAdmin):
    save_fn = None
    fields_saved: set[str] = set()

    def save_model(self, request, obj, form, change):
        data = {k: getattr(obj, k) for k in self.fields_saved}
        current = type(obj).objects.get(pk=obj.pk) if change else None
        saved = type(self).save_fn(current, data, by=request.user)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaxRate)
class TaxRateAdmin(_RateAdmin):
    save_fn = staticmethod(save_tax_rate)
    fields_saved = TAX_FIELDS
    list_display = ("hs_code", "kind", "rate", "valid_from", "valid_to", "source")
    list_filter = ("kind",)
    search_fields = ("hs_code", "source")


@admin.register(InterestRate)
class InterestRateAdmin(_RateAdmin):
    save_fn = staticmethod(save_interest_rate)
    fields_saved = INTEREST_FIELDS
    list_display = ("basis", "rate", "valid_from", "valid_to", "source")
    list_filter = ("basis",)
