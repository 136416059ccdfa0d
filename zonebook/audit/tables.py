"""Columns of the audit log list and export: in the reader's language, personal values masked
(``audit.display``), the same text on the page and in the export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, cap

from . import display
from .models import AuditEntry


class AuditTable(BaseTable):
    at = tables.DateTimeColumn(verbose_name=cap(_("time")), format="Y-m-d H:i:s")
    actor = tables.Column(verbose_name=cap(_("actor")), accessor="actor_name", order_by=("actor_name",))
    action = tables.Column(verbose_name=cap(_("action")), empty_values=())
    # The technical code (``registry.enterprise.updated``) is exported and filterable; on the page it is the
    # action's tooltip, the column shows what happened in words.
    code = tables.Column(verbose_name=cap(_("action code")), visible=False)
    object = tables.Column(
        verbose_name=cap(_("object")), accessor="object_repr", order_by=("object_type", "object_id")
    )
    object_type = tables.Column(verbose_name=cap(_("object type")), orderable=False, empty_values=())
    object_id = tables.Column(verbose_name=cap(_("object id")), orderable=False)
    changes = tables.Column(verbose_name=cap(_("changes")), orderable=False, empty_values=())
    source = tables.Column(verbose_name=cap(_("source")), orderable=False, empty_values=())
    request_id = tables.Column(verbose_name=cap(_("request id")), orderable=False)
    ip = tables.Column(verbose_name=_("IP address"), orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEntry
        fields = ()
        sequence = (
            "at",
            "actor",
            "action",
            "code",
            "object",
            "object_type",
            "object_id",
            "changes",
            "source",
            "request_id",
            "ip",
        )

    def _display(self) -> display.AuditDisplay:
        """One ``AuditDisplay`` for the rows this table shows: the page's rows, or every row of an
        export chunk (a list) — so related names cost one query per related model, not per row."""
        cached = self.__dict__.get("_audit_display")
        if cached is None:
            data = getattr(self.data, "data", None)
            if isinstance(data, list):
                entries = data
            elif hasattr(self, "page"):
                entries = [row.record for row in self.page.object_list]
            else:
                entries = list(data or [])
            user = getattr(getattr(self, "request", None), "user", None)
            cached = self.__dict__["_audit_display"] = display.AuditDisplay(entries, user)
        return cached

    def render_actor(self, record):
        return display.actor_label(record)

    def value_actor(self, record):
        return display.actor_label(record)

    def render_action(self, record):
        return format_html('<span title="{}">{}</span>', record.code, display.action_label(record))

    def value_action(self, record):
        return display.action_label(record)

    def render_object_type(self, record):
        return display.object_type_label(record.object_type)

    def value_object_type(self, record):
        return display.object_type_label(record.object_type)

    def render_source(self, record):
        return display.source_label(record.source)

    def value_source(self, record):
        return display.source_label(record.source)

    def render_changes(self, record):
        rows = format_html_join(
            "",
            "<div><b>{}</b>: {} → {}</div>",
            ((c.label, c.before, c.after) for c in self._display().changes(record)),
        )
        return format_html("<small>{}{}</small>", rows, record.message)

    def value_changes(self, record):
        return self._display().changes_text(record)
