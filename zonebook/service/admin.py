"""Configuration rows of the service app, edited by administrators: request categories, the
responsibility table and the key-enterprise tier thresholds (SLA policies are in the SLA admin).

Every admin write is audited in its transaction (who, when, the changed fields, the request id and
IP address) by the registry's ``AuditedAdmin``: codes ``service.category.created/updated/deleted``,
``service.responsibility.*``, ``service.tierrule.*``."""

from django.contrib import admin

from zonebook.registry.admin import AuditedAdmin

from .models import Category, Responsibility, TierRule


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "complex", "active", "order")
    list_filter = ("active", "complex")
    search_fields = ("code", "name")


@admin.register(Responsibility)
class ResponsibilityAdmin(AuditedAdmin):
    list_display = ("category", "unit", "priority", "note")
    list_select_related = ("category", "unit")
    search_fields = ("category__name", "unit__name")
    autocomplete_fields = ()


@admin.register(TierRule)
class TierRuleAdmin(AuditedAdmin):
    list_display = ("code", "name", "min_trade_usd", "valid_from", "valid_to", "source")
