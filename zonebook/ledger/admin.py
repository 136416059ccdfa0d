"""Admin for the ledger's dated reference data (posting rules, mode ↔ book kinds); edits are audited."""

from django.contrib import admin

from .models import ModeBookKind, PostingRule
from .services.rules import save_posting_rule


class _AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        save_posting_rule(obj, by=request.user, created=not change)

    def has_delete_permission(self, request, obj=None):
        # Dated rules are ended with valid_to, never deleted: postings made under them stay explainable.
        return False


@admin.register(PostingRule)
class PostingRuleAdmin(_AuditedAdmin):
    list_display = (
        "supervision_mode",
        "ie_mark",
        "item_kind",
        "target",
        "sign",
        "explode",
        "scrap",
        "valid_from",
        "valid_to",
    )
    list_filter = ("ie_mark", "item_kind", "target", "explode", "scrap")
    search_fields = ("supervision_mode", "note", "source")


@admin.register(ModeBookKind)
class ModeBookKindAdmin(_AuditedAdmin):
    list_display = ("supervision_mode", "book_kinds", "valid_from", "valid_to", "source")
    search_fields = ("supervision_mode",)


from .admin_dutytax import InterestRateAdmin, TaxRateAdmin  # noqa: E402, F401  (domestic-sale rate tables)
