from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .display import AuditDisplay
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: audit entries are never added, changed or deleted through the app."""

    list_display = (
        "at",
        "actor_name",
        "action",
        "code",
        "object_type",
        "object_id",
        "object_repr",
        "request_id",
        "ip",
    )
    list_filter = ("action", "source", "object_type")
    search_fields = ("actor_name", "code", "object_repr", "object_id", "request_id")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    exclude = ("changes",)  # shown through get_readonly_fields as readable, masked text

    def get_readonly_fields(self, request, obj=None):
        """The raw ``changes`` replaced by the readable, masked text of ``audit.display`` for this reader."""

        def changes(entry):
            lines = AuditDisplay([entry], request.user).changes(entry)
            return format_html_join("", "<div><b>{}</b>: {} → {}</div>", ((c.label, c.before, c.after) for c in lines))

        changes.short_description = _("changes")
        return [f if f != "changes" else changes for f in self.readonly_fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)
