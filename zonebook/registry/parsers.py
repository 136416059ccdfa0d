"""Import cell parsers that belong to the registry: a code from a registry code table.

``core.imports.parsers`` holds the generic parsers; a parser that needs a per-run lookup
implements the generic ``prepare()`` hook (``ImportKind.prepare`` calls it once per run).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core.imports.parsers import CellError, Parser, clean_text, display, to_ascii

from .choices import CODE_TABLES
from .models import Code


class CodeRef(Parser):
    """A code from a registry code table, by code or by name (Chinese or English).

    The table is loaded once per import (``prepare``) so lookups cost no query per row.
    """

    type_label = gettext_lazy("code")

    def __init__(self, table: str, by_name: bool = True):
        self.table = table
        self.by_name = by_name
        self._map: dict[str, Any] | None = None

    def table_label(self) -> str:
        return str(CODE_TABLES.get(self.table, self.table))

    def prepare(self) -> None:
        mapping: dict[str, Any] = {}
        codes = list(Code.objects.of(self.table).only("id", "code", "name", "name_en", "table_id"))
        for c in codes:
            if self.by_name:
                for key in (c.name, c.name_en):
                    if key:
                        mapping.setdefault(to_ascii(key).strip().lower(), c)
        for c in codes:  # codes win over names
            mapping[to_ascii(c.code).strip().lower()] = c
        self._map = mapping

    def parse(self, raw: Any) -> Any:
        if self._map is None:
            self.prepare()
        key = clean_text(raw).lower()
        found = self._map.get(key) if self._map is not None else None
        if found is None:
            raise CellError(
                _("Unknown code “%(value)s”: it is not in the code table “%(table)s”.")
                % {"value": display(raw), "table": self.table_label()}
            )
        return found
