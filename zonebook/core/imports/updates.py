"""Update mode: rows whose key exists update the record, new keys create, nothing is deleted.

A kind opts in with ``update_mode = True`` and ``key_fields`` (the model fields of its natural key,
e.g. ``("uscc",)``); the user then chooses on upload between *create only* (every key must be new,
as before) and *create and update*.  In update mode, for each batch of rows that passed the kind's
``validate``:

1. ``records(row)`` gives the unsaved model instances the row describes (``row.obj`` by default;
   a tax-rate tariff line gives one per HS code);
2. the stored records of every key of the batch are fetched in ONE query (``find_existing``;
   locked with ``select_for_update`` while writing), and compared in memory, field by field, for
   the ``update_fields`` the row gives (a column present in the file with a non-blank cell: a blank
   cell or a missing column leaves the stored value as it is, so nothing is ever cleared);
3. a row that would change an ``immutable_fields`` field, or whose unique column belongs to another
   record (the kind's ``validate`` reports that), is an error naming the row and the column, and as
   always the whole file is refused;
4. unchanged rows write nothing (no audit entry); changed records are written by the kind's
   ``write_changes`` — one ``bulk_update`` per batch and one audit entry per record with the
   before/after values (``zonebook.audit.services.bulk_update``) in the import's transaction.
   The changes of ``deferred_fields`` (compared and previewed like the others) are set aside
   before ``write_changes`` and handed to the kind's ``after_update(changes, by)`` once the other
   changes of the batch are written (a project's changed signing date becomes a milestone
   correction through the investment service).  ``compare_value(obj, name)`` is the value
   compared and kept as before/after (default: the field's column value).

Nothing here runs a query per row.  The preview counts new / changed / unchanged rows and keeps the
field changes (before → after) of the first ``MAX_CHANGES`` changed rows.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.core import formatting
from zonebook.core.errors import RowError

CREATE = "create"
UPDATE = "update"
MODES = {
    CREATE: gettext_lazy("Add new records only (a key that exists already is an error)"),
    UPDATE: gettext_lazy("Add new records and update existing ones (found by their key)"),
}
MAX_CHANGES = 20  # changed rows whose field changes the preview shows


@dataclass
class Change:
    """One stored record that a row changes: field name → (before, after) model values.

    ``obj`` is the stored record (written by ``bulk_update`` after ``apply``), ``new`` the unsaved
    record the row describes (for the names of related records in the preview)."""

    obj: models.Model
    new: models.Model
    fields: dict[str, tuple[Any, Any]]


@dataclass
class RowPlan:
    new: list[models.Model] = field(default_factory=list)  # unsaved records to create
    changes: list[Change] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.changes:
            return "changed"
        return "new" if self.new else "unchanged"


def shown(value: Any) -> str:
    """A model value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, decimal.Decimal):
        return formatting.number(value)  # thousands separators, the decimals it needs
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items() if v not in (None, ""))
    return str(value)


def _value(obj: models.Model, name: str) -> Any:
    f = obj._meta.get_field(name)
    return getattr(obj, f.attname)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        try:
            return a is not None and b is not None and decimal.Decimal(a) == decimal.Decimal(b)
        except (decimal.InvalidOperation, TypeError, ValueError):
            return False
    return a == b


def differs(stored: models.Model, new: models.Model, name: str) -> bool:
    """Whether field ``name`` of the row's record differs from the stored one."""
    return not _same(_value(stored, name), _value(new, name))


def record_key(kind, obj: models.Model) -> tuple:
    return tuple(_value(obj, name) for name in kind.key_fields)


def find_existing(kind, keys: list[tuple], *, lock: bool) -> dict[tuple, models.Model]:
    """The stored records of ``keys`` in one query (keyed like ``record_key``)."""
    if not keys:
        return {}
    model = kind.model
    names = kind.key_fields
    qs = kind.existing_queryset()
    if len(names) == 1:
        qs = qs.filter(**{f"{model._meta.get_field(names[0]).attname}__in": sorted({k[0] for k in keys})})
    else:
        # the first key field narrows in SQL (an index), the full key is matched in memory
        wanted = set(keys)
        first = model._meta.get_field(names[0]).attname
        qs = qs.filter(Q(**{f"{first}__in": sorted({k[0] for k in wanted})}))
    related = [
        name
        for name in dict.fromkeys((*kind.update_fields, *kind.immutable_fields))
        if model._meta.get_field(name).is_relation and model._meta.get_field(name).many_to_one
    ]
    if related:
        qs = qs.select_related(*related)  # the names shown in the preview, in the same query
    if lock and connection.in_atomic_block and connection.features.has_select_for_update:
        # lock the stored rows until the import commits (not the joined code rows)
        qs = (
            qs.select_for_update(of=("self",))
            if connection.features.has_select_for_update_of
            else qs.select_for_update()
        )
    found = {}
    for obj in qs:
        key = kind.record_key(obj)
        if len(names) == 1 or key in wanted:
            found[key] = obj
    return found


def plan_batch(kind, rows: list, *, lock: bool) -> tuple[dict[int, RowPlan], list[RowError]]:
    """Classify each row (new / changed / unchanged) against the stored records; set-based."""
    per_row = [(row, kind.records(row)) for row in rows]
    keys = [kind.record_key(obj) for _row, objs in per_row for obj in objs]
    existing = kind.find_existing(keys, lock=lock)
    plans: dict[int, RowPlan] = {}
    errors: list[RowError] = []
    for row, objs in per_row:
        plan = RowPlan()
        given = kind.given_fields(row)
        refused = False
        for obj in objs:
            stored = existing.get(kind.record_key(obj))
            if stored is None:
                plan.new.append(obj)
                continue
            problem = kind.refuse_update(row, stored, obj)
            if problem is not None:
                errors.append(problem)
                refused = True
                break
            kind.merge(stored, obj)
            for name in kind.immutable_fields:
                if name in given and not _same(
                    kind.compare_value(stored, name), kind.compare_value(obj, name)
                ):
                    errors.append(kind.immutable_error(row, name, stored, obj))
                    refused = True
            if refused:
                break
            changed = {
                name: (kind.compare_value(stored, name), kind.compare_value(obj, name))
                for name in kind.update_fields
                if name in given
                and name not in kind.immutable_fields
                and not _same(kind.compare_value(stored, name), kind.compare_value(obj, name))
            }
            if changed:
                plan.changes.append(Change(stored, obj, changed))
        if not refused:
            plans[row.number] = plan
    return plans, errors


def set_aside(kind, changes: list[Change]) -> list[Change]:
    """Take the changes of ``kind.deferred_fields`` out of ``changes`` (before ``write_changes``);
    returned as changes holding only those fields, for ``kind.after_update``."""
    deferred = []
    for change in changes:
        later = {name: change.fields.pop(name) for name in kind.deferred_fields if name in change.fields}
        if later:
            deferred.append(Change(change.obj, change.new, later))
    return deferred


def apply(change: Change) -> None:
    """Set the new values on the stored record (before ``bulk_update``)."""
    for name, (_before, after) in change.fields.items():
        setattr(change.obj, change.obj._meta.get_field(name).attname, after)


def display(obj: models.Model, name: str) -> str:
    """A field of a record as a person reads it: related records and choices by name (no query:
    the stored records come with their related rows, the row's records hold them already)."""
    f = obj._meta.get_field(name)
    if f.is_relation:
        related = getattr(obj, name)
        return "" if related is None else str(related)
    if f.choices:
        return str(getattr(obj, f"get_{f.name}_display")())
    value = getattr(obj, f.attname)
    if isinstance(f, models.DecimalField) and f.decimal_places == 2 and value is not None:
        return formatting.number(value, 2)  # money as on the pages: 1,000,000.00
    return shown(value)


def describe(kind, row, plan: RowPlan) -> dict:
    """The preview's entry for a changed row: its number, its key and the field changes."""
    items = []
    for change in plan.changes:
        for name in change.fields:
            item = {
                "field": kind.field_label(name),
                "before": display(change.obj, name),
                "after": display(change.new, name),
            }
            if item not in items:  # a tariff line's rates change alike: listed once
                items.append(item)
    key = kind.key_text(plan.changes[0].obj)
    return {"row": row.number, "key": key, "changes": items}
