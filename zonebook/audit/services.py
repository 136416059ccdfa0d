"""Audit service: every domain write records an entry through here, in the same transaction.

Domain services normally use the generic helpers ``create``, ``update`` and ``delete``,
which diff the fields and record the entry; ``record`` is for custom actions
(posting, status changes, imports).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile

from zonebook.core import context

from .models import AuditEntry

_SCALARS = frozenset((str, int, bool, float, type(None)))


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:  # (most values: one set lookup instead of six isinstance checks)
        return value
    # the containers of plain values (a change is [before, after]): their scalars without a call each
    if kind is dict:
        return {k: v if type(v) in _SCALARS else _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else _plain(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Plain values of the concrete fields of ``obj`` (FKs as ids).  Generated columns are left out:
    the database derives them from the fields that are recorded (and reading one not yet loaded
    would cost a query per object)."""
    out = {}
    for f in obj._meta.concrete_fields:
        if f.generated or (fields is not None and f.name not in fields):
            continue
        out[f.name] = _plain(getattr(obj, f.attname))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _scope_of(obj: models.Model) -> dict[str, Any]:
    """Scope columns of an object, from its optional ``audit_scope()`` method."""
    fn = getattr(obj, "audit_scope", None)
    return fn() if callable(fn) else {}


def entry(
    obj: models.Model,
    *,
    code: str,
    by=None,
    action: str = AuditEntry.Action.ACTION,
    changes: Mapping[str, Any] | None = None,
    message: str = "",
) -> AuditEntry:
    """An unsaved audit entry for ``obj``: actor, request context and scope filled in."""
    ctx = context.current()
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    scope = _scope_of(obj)
    return AuditEntry(
        actor=actor,
        actor_name=actor.get_username() if actor else (ctx.source or "system"),
        action=action,
        code=code,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=_plain(dict(changes or {})),
        message=message[:500],
        request_id=ctx.request_id,
        ip=ctx.ip or None,
        source=ctx.source,
        province_code=scope.get("province") or "",
        city_code=scope.get("city") or "",
        zone_id=scope.get("zone"),
        enterprise_id=scope.get("enterprise"),
        **_other_scope(scope),
    )


def _other_scope(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The second party's scope columns (``audit_scope()`` may return it under ``"other"``)."""
    other = scope.get("other") or {}
    return {
        "other_province_code": other.get("province") or "",
        "other_city_code": other.get("city") or "",
        "other_zone_id": other.get("zone"),
        "other_enterprise_id": other.get("enterprise"),
    }


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit.{name} must run inside the transaction of the change it records")


def record(
    obj: models.Model,
    *,
    code: str,
    by=None,
    action: str = AuditEntry.Action.ACTION,
    changes: Mapping[str, Any] | None = None,
    message: str = "",
) -> AuditEntry:
    _require_transaction("record")
    e = entry(obj, code=code, by=by, action=action, changes=changes, message=message)
    e.save()
    return e


# Entries written with COPY from this many on (PostgreSQL); fewer go through ``bulk_create``.
COPY_FROM = 200


def save_entries(entries: list[AuditEntry]) -> int:
    """Insert unsaved entries (``entry``) together, in the caller's transaction.  On PostgreSQL a
    large set goes out in one ``COPY`` (``core.vector.copy_create``; Django's ``bulk_create``
    spent 70 µs an entry, the larger part of a batch posting's audit); the entries get no primary
    key then.  Returns the number written."""
    _require_transaction("save_entries")
    entries = list(entries)
    if not entries:
        return 0
    if connection.vendor != "postgresql" or len(entries) < COPY_FROM:
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
        return len(entries)
    from zonebook.core.vector import copy_create

    copy_create(AuditEntry, entries, keys=False)
    return len(entries)


def record_many(
    objs: Iterable[models.Model],
    *,
    code: str,
    by=None,
    action: str = AuditEntry.Action.CREATE,
    message: str = "",
) -> int:
    """One audit entry per created object (changes = every field, as ``record`` with ``diff({}, …)``),
    inserted with one ``bulk_create`` — for the bulk services (``ledger.services.add_items``)."""
    _require_transaction("record_many")
    entries = [
        entry(obj, code=code, by=by, action=action, changes=diff({}, snapshot(obj)), message=message)
        for obj in objs
    ]
    return save_entries(entries)


def bulk_update(changes: Iterable, *, code: str, by=None, message: str = "", batch_size: int = 1000) -> int:
    """Write many records' changed fields and one audit entry per record (before/after), set-based.

    ``changes`` are objects with ``obj`` (a stored model instance) and ``fields`` (field name →
    (before, after) model values), as ``core.imports.updates.Change``.  The new values are set on
    the instances, written with one ``bulk_update`` per model and ``batch_size`` records (only the
    fields that change), and the entries with one ``bulk_create`` — in the caller's transaction.
    A change with no fields writes nothing.  Returns the number of records written."""
    _require_transaction("bulk_update")
    by_model: dict[type, list] = {}
    entries = []
    for change in changes:
        if not change.fields:
            continue
        obj = change.obj
        meta = obj._meta
        for name, (_before, after) in change.fields.items():
            setattr(obj, meta.get_field(name).attname, after)
        by_model.setdefault(type(obj), []).append(change)
        entries.append(
            entry(
                obj,
                code=code,
                by=by,
                action=AuditEntry.Action.UPDATE,
                changes={name: [_plain(b), _plain(a)] for name, (b, a) in change.fields.items()},
                message=message,
            )
        )
    for model, items in by_model.items():
        fields = sorted({name for c in items for name in c.fields})
        model._base_manager.bulk_update([c.obj for c in items], fields, batch_size=batch_size)
    save_entries(entries)
    return len(entries)


def _code(obj_or_model, verb: str) -> str:
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}.{verb}"


@transaction.atomic
def create(model: type[models.Model], data: Mapping[str, Any], *, by=None, code: str | None = None, m2m=None):
    obj = model(**data)
    obj.full_clean()
    obj.save()
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    record(
        obj,
        code=code or _code(obj, "created"),
        by=by,
        action=AuditEntry.Action.CREATE,
        changes=diff({}, snapshot(obj)),
    )
    return obj


@transaction.atomic
def update(obj: models.Model, data: Mapping[str, Any], *, by=None, code: str | None = None):
    """Apply ``data`` to ``obj``; records only the fields that really changed.  Returns the changes."""
    before = snapshot(obj)
    for k, v in data.items():
        setattr(obj, k, v)
    obj.full_clean()
    after = snapshot(obj)
    changes = diff(before, after)
    if changes:
        obj.save(update_fields=[obj._meta.get_field(k).name for k in changes])
        record(
            obj, code=code or _code(obj, "updated"), by=by, action=AuditEntry.Action.UPDATE, changes=changes
        )
    return changes


@transaction.atomic
def delete(obj: models.Model, *, by=None, code: str | None = None):
    before = snapshot(obj)
    entry = record(
        obj,
        code=code or _code(obj, "deleted"),
        by=by,
        action=AuditEntry.Action.DELETE,
        changes=diff(before, {k: None for k in before}),
    )
    obj.delete()
    return entry


def history(obj: models.Model):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


def record_event(
    code: str,
    *,
    by=None,
    message: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    scope: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An audit entry that is not about one row (exports, bulk reads); scoped by ``scope`` or the actor's scope."""
    ctx = context.current()
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    if scope is None and actor is not None:
        scope = {
            "province": actor.province_code,
            "city": actor.city_code,
            "zone": actor.zone_id,
            "enterprise": actor.enterprise_id,
        }
    scope = scope or {}
    with transaction.atomic():
        return AuditEntry.objects.create(
            actor=actor,
            actor_name=actor.get_username() if actor else (ctx.source or "system"),
            action=AuditEntry.Action.ACTION,
            code=code,
            object_type=object_type,
            object_id=object_id,
            object_repr=(object_repr or message)[:300],
            changes=_plain(dict(changes or {})),
            message=message[:500],
            request_id=ctx.request_id,
            ip=ctx.ip or None,
            source=ctx.source,
            province_code=scope.get("province") or "",
            city_code=scope.get("city") or "",
            zone_id=scope.get("zone"),
            enterprise_id=scope.get("enterprise"),
            **_other_scope(scope),
        )
