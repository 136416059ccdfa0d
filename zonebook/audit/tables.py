"""Columns of the audit log list and export."""

from __future__ import annotations

import json

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, cap

from .models import AuditEntry


class AuditTable(BaseTable):
    at = tables.DateTimeColumn(verbose_name=cap(_("time")), format="Y-m-d H:i:s")
    actor = tables.Column(verbose_name=cap(_("actor")), accessor="actor_name", order_by=("actor_name",))
    action = tables.Column(verbose_name=cap(_("action")))
    code = tables.Column(verbose_name=cap(_("action code")))
    object = tables.Column(
        verbose_name=cap(_("object")), accessor="object_repr", order_by=("object_type", "object_id")
    )
    object_type = tables.Column(verbose_name=cap(_("object type")), orderable=False)
    object_id = tables.Column(verbose_name=cap(_("object id")), orderable=False)
    changes = tables.Column(verbose_name=cap(_("changes")), orderable=False, empty_values=())
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
            "request_id",
            "ip",
        )

    def render_changes(self, record):
        rows = format_html_join(
            "",
            "<div><b>{}</b>: {} → {}</div>",
            (
                (
                    k,
                    _short(v[0] if isinstance(v, list | tuple) and len(v) == 2 else v),
                    _short(v[1] if isinstance(v, list | tuple) and len(v) == 2 else ""),
                )
                for k, v in (record.changes or {}).items()
            ),
        )
        return format_html("<small>{}{}</small>", rows, record.message)

    def value_changes(self, record):
        text = json.dumps(record.changes or {}, ensure_ascii=False)
        return f"{text} {record.message}".strip()


def _short(value) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "…"
