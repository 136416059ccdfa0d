"""The one place that turns a code of a code table into its name for a page: region codes
(GB/T 2260, 510000 → 四川省, 510100 → 成都市), customs units (007 → 个, 035 → 千克), countries,
currencies.

Pages show names, not codes: a user's scope, zone cities and provinces, region dropdowns, the unit
of a ledger item.  Code tables are small and change only when a fixture is reloaded, so a table's
names are read once per process (one query) and re-read after any change to a Code row.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

_cache: dict[str, dict[str, tuple[str, str]]] = {}
_missed: set[tuple[str, str]] = set()  # codes looked up again once, then shown as they are


def _table(table: str) -> dict[str, tuple[str, str]]:
    names = _cache.get(table)
    if names is None:
        from .models import Code

        names = {c: (n, en) for c, n, en in Code.objects.of(table).values_list("code", "name", "name_en")}
        _cache[table] = names
    return names


def clear_cache(**_kwargs) -> None:
    _cache.clear()
    _missed.clear()


def code_name(table: str, code, *, fallback: bool = True) -> str:
    """The name of ``code`` in code table ``table`` in the interface language; the code itself when
    the table does not know it (``fallback=False``: ``""``)."""
    if code is None or code == "":
        return ""
    code = str(code)
    row = _table(table).get(code)
    if row is None and (table, code) not in _missed:
        _missed.add((table, code))
        _cache.pop(table, None)  # a code added since the names were read
        row = _table(table).get(code)
    if row is None:
        return code if fallback else ""
    name, name_en = row
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


def region_name(code, *, fallback: bool = True) -> str:
    """510000 → 四川省, 510100 → 成都市."""
    return code_name("region", code, fallback=fallback)


def unit_name(code, *, fallback: bool = True) -> str:
    """A customs unit of measure (海关计量单位): 007 → 个, 035 → 千克."""
    return code_name("unit", code, fallback=fallback)


def connect() -> None:
    from .models import Code

    post_save.connect(clear_cache, sender=Code, dispatch_uid="registry_code_names_save")
    post_delete.connect(clear_cache, sender=Code, dispatch_uid="registry_code_names_delete")
