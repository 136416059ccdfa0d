"""Configuration rows of the investment app, edited by administrators: the counting rules (认定口径)
and the 目标责任考评 scoring rules.  Every write is audited in its transaction by the registry's
``AuditedAdmin`` (codes ``investment.countingrule.*`` / ``investment.scoringrule.*``: who, when, the
changed fields, the request id and IP address)."""

from django.contrib import admin

from zonebook.registry.admin import AuditedAdmin

from .models import CountingRule, ScoringRule


@admin.register(CountingRule)
class CountingRuleAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "threshold", "tolerance_pct", "valid_from", "valid_to", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "source")


@admin.register(ScoringRule)
class ScoringRuleAdmin(AuditedAdmin):
    list_display = ("year", "code", "name", "kind", "max_score", "indicator_code", "default_score", "province_code")
    list_filter = ("year", "kind")
    search_fields = ("code", "name", "indicator_code")
