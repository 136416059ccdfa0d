"""Configuration rows of the service app, edited by administrators: request categories, the
responsibility table and the key-enterprise tier thresholds (SLA policies are in the SLA admin)."""

from django.contrib import admin

from .models import Category, Responsibility, TierRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "complex", "active", "order")
    list_filter = ("active", "complex")
    search_fields = ("code", "name")


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ("category", "unit", "priority", "note")
    list_select_related = ("category", "unit")
    search_fields = ("category__name", "unit__name")
    autocomplete_fields = ()


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "min_trade_usd", "valid_from", "valid_to", "source")
