"""Admin for code tables and registry models (code tables are maintained here)."""

from django.contrib import admin
from django.db import transaction

from zonebook.audit import services as audit
from zonebook.audit.models import AuditEntry

from .models import (
    Code,
    CodeTable,
    Enterprise,
    EnterpriseContact,
    EnterpriseStatusEvent,
    Park,
    Zone,
    ZoneStatusEvent,
)


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are audited like service writes (code ``<app>.<model>.<verb>``, source ``web``)."""

    def _code(self, obj, verb):
        return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else {}
            obj.save()
            changes = audit.diff(before, audit.snapshot(obj))
            if changes or not change:
                audit.record(
                    obj,
                    code=self._code(obj, "updated" if change else "created"),
                    by=request.user,
                    action=AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
                    changes=changes,
                    message="admin",
                )

    def delete_model(self, request, obj):
        with transaction.atomic():
            before = audit.snapshot(obj)
            audit.record(
                obj,
                code=self._code(obj, "deleted"),
                by=request.user,
                action=AuditEntry.Action.DELETE,
                changes=audit.diff(before, {k: None for k in before}),
                message="admin",
            )
            obj.delete()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyInline(admin.TabularInline):
    """Related rows are shown, not edited, here: edit them on their own (audited) admin page."""

    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CodeTable)
class CodeTableAdmin(AuditedAdmin):
    list_display = ("key", "name", "version", "source", "loaded_at")
    search_fields = ("key", "name", "version")


@admin.register(Code)
class CodeAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "table", "parent", "level", "valid_from", "valid_to")
    list_filter = ("table", "level")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent",)
    list_select_related = ("table", "parent")
    ordering = ("table", "code")


class ParkInline(ReadOnlyInline):
    model = Park


class ZoneStatusEventInline(ReadOnlyInline):
    model = ZoneStatusEvent
    fk_name = "zone"


@admin.register(Zone)
class ZoneAdmin(AuditedAdmin):
    list_display = (
        "name",
        "short_name",
        "kind",
        "level",
        "province_code",
        "city_code",
        "status",
        "status_date",
    )
    list_filter = ("level", "status", "kind", "province_code")
    search_fields = ("name", "short_name", "approval_doc")
    list_select_related = ("kind",)
    raw_id_fields = ("kind", "customs_office", "integrated_into")
    inlines = [ParkInline, ZoneStatusEventInline]


@admin.register(Park)
class ParkAdmin(AuditedAdmin):
    list_display = ("name", "zone", "bonded", "area_km2")
    list_filter = ("bonded",)
    search_fields = ("name", "zone__name")
    list_select_related = ("zone",)


class EnterpriseContactInline(ReadOnlyInline):
    model = EnterpriseContact


class EnterpriseStatusEventInline(ReadOnlyInline):
    model = EnterpriseStatusEvent


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ("name", "uscc", "customs_code", "zone", "status", "processing_trade", "fortune500")
    list_filter = ("status", "processing_trade", "fortune500", "zone")
    search_fields = ("name", "uscc", "customs_code")
    list_select_related = ("zone",)
    raw_id_fields = (
        "zone",
        "park",
        "industry",
        "ownership",
        "investor_country",
        "credit_class",
        "capital_currency",
    )
    inlines = [EnterpriseContactInline, EnterpriseStatusEventInline]


@admin.register(ZoneStatusEvent)
class ZoneStatusEventAdmin(AuditedAdmin):
    list_display = ("zone", "event", "date", "doc_no", "successor")
    list_filter = ("event",)
    list_select_related = ("zone", "successor")
    raw_id_fields = ("zone", "successor")


@admin.register(EnterpriseContact)
class EnterpriseContactAdmin(AuditedAdmin):
    list_display = ("name", "enterprise", "position", "is_customs_contact")
    search_fields = ("name", "enterprise__name")
    list_select_related = ("enterprise",)
    raw_id_fields = ("enterprise",)
