"""Audit entries in the reader's language, with personal data masked by the owning app's rule.

The audit log stores plain values (``{field: [before, after]}``, FKs as ids, choices as their
stored values, object types as ``app_label.model``).  Everything a person reads — the audit list
page, its export and every object's history tab — goes through ``AuditDisplay``, which shows

* fields by their verbose names, choice values by their labels, booleans as yes/no, dates in local
  time and foreign keys as the related object's name (one query per related model for a whole page
  or export chunk, never one per row);
* object types by the model's verbose name, sources (web, API, command, job, demo) and action verbs
  translated;
* values of fields an app declared personal (``register_masked_field``) masked for readers who see
  them masked on the object's own page.

This module imports no domain app: apps register their masked fields in ``AppConfig.ready()``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import scope_q

EMPTY = "—"
MAX_VALUE_CHARS = 120

SOURCE_LABELS = {
    "web": pgettext_lazy("audit source", "web page"),
    "api": pgettext_lazy("audit source", "API"),
    "command": pgettext_lazy("audit source", "command"),
    "job": pgettext_lazy("audit source", "background job"),
    "demo": pgettext_lazy("audit source", "demo data"),
    "system": pgettext_lazy("audit source", "system"),
}

# The last part of an action code (``ledger.inventory_list.submitted``) as a word.
VERB_LABELS = {
    "created": pgettext_lazy("audit verb", "created"),
    "updated": pgettext_lazy("audit verb", "changed"),
    "deleted": pgettext_lazy("audit verb", "deleted"),
    "exported": pgettext_lazy("audit verb", "exported"),
    "imported": pgettext_lazy("audit verb", "imported"),
    "loaded": pgettext_lazy("audit verb", "loaded"),
    "posted": pgettext_lazy("audit verb", "posted"),
    "submitted": pgettext_lazy("audit verb", "submitted"),
    "cancelled": pgettext_lazy("audit verb", "cancelled"),
    "status_changed": pgettext_lazy("audit verb", "status changed"),
    "matched": pgettext_lazy("audit verb", "matched"),
    "unmatched": pgettext_lazy("audit verb", "unmatched"),
    "linked": pgettext_lazy("audit verb", "linked"),
    "unlinked": pgettext_lazy("audit verb", "unlinked"),
    "computed": pgettext_lazy("audit verb", "computed"),
    "resolved": pgettext_lazy("audit verb", "resolved"),
    "dismissed": pgettext_lazy("audit verb", "dismissed"),
    "revised": pgettext_lazy("audit verb", "revised"),
    "opening_set": pgettext_lazy("audit verb", "opening balance set"),
    "password_changed": pgettext_lazy("audit verb", "password changed"),
    "password_reset": pgettext_lazy("audit verb", "password reset"),
    "unlocked": pgettext_lazy("audit verb", "unlocked"),
    "cases_opened": pgettext_lazy("audit verb", "difference cases opened"),
    "stocktake_imported": pgettext_lazy("audit verb", "stocktake imported"),
    "sent": pgettext_lazy("audit verb", "sent"),
    "attack_suspected": pgettext_lazy("audit verb", "password attack suspected"),
    "uploaded": pgettext_lazy("audit verb", "file attached"),
    "downloaded": pgettext_lazy("audit verb", "file downloaded"),
    "attachment_deleted": pgettext_lazy("audit verb", "attachment deleted"),
}

# Keys of ``changes`` that are not model fields.
EXTRA_LABELS = {
    "filters": _("filters"),
    "cleared_attempts": _("cleared failed logins"),
    "failures": _("failed logins"),
    "addresses": _("addresses"),
    "attachment": _("attachment"),
    "sha256": "SHA-256",
}


# --- masked (personal) fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaskRule:
    mask: Callable[[str], str]
    # (reader, scope of the entry: {"province", "city", "zone", "enterprise"}) -> True when the reader sees
    # the value unmasked on the object's own page
    visible: Callable[[Any, Mapping[str, Any]], bool]


_MASKED: dict[tuple[str, str], MaskRule] = {}


def register_masked_field(
    object_type: str, field: str, *, mask: Callable[[str], str], visible: Callable[[Any, Mapping[str, Any]], bool]
) -> None:
    """Declare ``field`` of ``object_type`` (``app_label.model``) personal: the audit pages, history tabs
    and exports show it through ``mask`` unless ``visible(reader, entry_scope)``.  Called by the owning
    app's ``AppConfig.ready()`` with the same rule as its own pages."""
    _MASKED[(object_type.lower(), field)] = MaskRule(mask=mask, visible=visible)


def masked_fields() -> dict[tuple[str, str], MaskRule]:
    return dict(_MASKED)


def entry_scope(entry) -> dict[str, Any]:
    return {
        "province": entry.province_code,
        "city": entry.city_code,
        "zone": entry.zone_id,
        "enterprise": entry.enterprise_id,
    }


# --- labels --------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def model_for(object_type: str) -> type[models.Model] | None:
    if not object_type or "." not in object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_choices() -> list[tuple[str, str]]:
    """(``app_label.model``, verbose name) of Zonebook's models, for the audit log's object type filter."""
    out = [
        (m._meta.label_lower, f"{capfirst(str(m._meta.verbose_name))} ({m._meta.app_config.verbose_name})")
        for m in apps.get_models()
        if m.__module__.startswith("zonebook.")
    ]
    return sorted(out, key=lambda c: c[1])


def object_type_label(object_type: str) -> str:
    model = model_for(object_type)
    if model is None:
        return object_type or EMPTY
    return capfirst(str(model._meta.verbose_name))


def source_label(source: str) -> str:
    label = SOURCE_LABELS.get(source or "")
    return str(label) if label is not None else (source or "")


def actor_label(entry) -> str:
    """The user name; for writes without a user (commands, jobs, the demo) the translated source."""
    if entry.actor_id is None and entry.actor_name in SOURCE_LABELS:
        return source_label(entry.actor_name)
    return entry.actor_name


def action_label(entry) -> str:
    """What happened: the verb of the action code when known (``…submitted`` → submitted), else the
    action kind (created / changed / deleted / action)."""
    verb = (entry.code or "").rsplit(".", 1)[-1]
    label = VERB_LABELS.get(verb)
    if label is not None:
        return capfirst(str(label))
    return str(entry.get_action_display())


def _field(model, name: str):
    if model is None:
        return None
    try:
        f = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist
        return None
    return f if isinstance(f, models.Field) else None  # not a reverse relation with the same name


def field_label(model, name: str) -> str:
    f = _field(model, name)
    if f is not None and getattr(f, "verbose_name", None):
        return capfirst(str(f.verbose_name))
    extra = EXTRA_LABELS.get(name)
    return capfirst(str(extra)) if extra is not None else name


def _short(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _is_fk(f) -> bool:
    return f is not None and (f.many_to_one or f.one_to_one) and f.related_model is not None


# --- a batch of entries for one reader ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


class AuditDisplay:
    """Human text of a batch of entries (a page, an export chunk, a history tab) for one reader."""

    def __init__(self, entries: Iterable, user=None):
        self.entries = list(entries)
        self.user = user
        self._names = self._related_names()

    def _related_names(self) -> dict[tuple[str, str], str]:
        wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        for e in self.entries:
            model = model_for(e.object_type)
            if model is None or not isinstance(e.changes, dict):
                continue
            for key, pair in e.changes.items():
                f = _field(model, key)
                if not _is_fk(f):
                    continue
                for v in pair if isinstance(pair, list | tuple) else (pair,):
                    if v not in (None, ""):
                        wanted[f.related_model].add(str(v))
        names: dict[tuple[str, str], str] = {}
        for related, ids in wanted.items():
            pk = related._meta.pk
            try:
                keys = [pk.to_python(i) for i in ids]
            except Exception:
                continue
            # the related object's own forward relations are joined: many __str__ read one of them
            joins = [f.name for f in related._meta.concrete_fields if f.many_to_one and not f.null]
            qs = related._base_manager.filter(pk__in=keys).select_related(*joins)
            # a related object outside the reader's scope is named by its id only (a carry-over's history
            # names the counterpart's item: its name is the other enterprise's data)
            paths = getattr(related, "SCOPE_PATHS", None)
            if paths is not None and self.user is not None:
                q = scope_q(paths, self.user)
                if q is None:
                    continue
                qs = qs.filter(q)
            for obj in qs:
                names[(related._meta.label_lower, str(obj.pk))] = str(obj)
        return names

    def value(self, entry, key: str, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        rule = _MASKED.get((entry.object_type, key))
        if rule is not None and not rule.visible(self.user, entry_scope(entry)):
            return rule.mask(str(value))
        f = _field(model_for(entry.object_type), key)
        if f is None:
            if isinstance(value, list | dict):
                return _short(json.dumps(value, ensure_ascii=False))
            return _short(str(value))
        if f.choices:
            labels = {str(k): v for k, v in f.flatchoices}
            if str(value) in labels:
                return str(labels[str(value)])
        if isinstance(f, models.BooleanField):
            return gettext("Yes") if value in (True, "true", "True", 1) else gettext("No")
        if _is_fk(f):
            name = self._names.get((f.related_model._meta.label_lower, str(value)))
            return _short(name) if name is not None else f"#{value}"
        if isinstance(f, models.DateTimeField) and isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is not None:
                if timezone.is_aware(parsed):
                    parsed = timezone.localtime(parsed)
                return parsed.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, list | dict):
            return _short(json.dumps(value, ensure_ascii=False))
        return _short(str(value))

    def changes(self, entry) -> list[ChangeLine]:
        if not isinstance(entry.changes, dict):
            return []
        model = model_for(entry.object_type)
        out = []
        for key, pair in entry.changes.items():
            f = _field(model, key)
            if f is not None and f.primary_key:
                continue  # the id of a created row is the entry's object id already
            if isinstance(pair, list | tuple) and len(pair) == 2:
                before, after = pair
            else:
                before, after = None, pair
            out.append(ChangeLine(field_label(model, key), self.value(entry, key, before), self.value(entry, key, after)))
        return out

    def changes_text(self, entry) -> str:
        """One line for exports: ``Field: before → after; …`` then the message."""
        parts = [f"{c.label}: {c.before} → {c.after}" for c in self.changes(entry)]
        if entry.message:
            parts.append(entry.message)
        return "; ".join(parts)

    def rows(self) -> list[dict[str, Any]]:
        """Everything a history table shows, per entry."""
        return [
            {
                "entry": e,
                "actor": actor_label(e),
                "action": action_label(e),
                "object_type": object_type_label(e.object_type),
                "changes": self.changes(e),
                "source": source_label(e.source),
            }
            for e in self.entries
        ]
