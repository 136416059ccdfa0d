"""Audit log pages: read-only, scoped, filterable and exportable."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import FilteredListView

from .filtersets import AuditFilterSet
from .models import AuditEntry
from .tables import AuditTable


class AuditList(FilteredListView):
    model = AuditEntry
    filterset_class = AuditFilterSet
    table_class = AuditTable
    template_name = "audit/list.html"
    title = _("Audit log")
    export_filename = _("audit-log")
    export_code = "audit.entry.exported"
    paginate_by = 50

    def get_queryset(self):
        return AuditEntry.objects.for_user(self.request.user)


audit_list = AuditList.as_view()
