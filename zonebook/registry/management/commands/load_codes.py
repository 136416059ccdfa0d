"""``manage.py load_codes``: upsert the shipped code tables (registry/fixtures/code_*.csv).

The same loader runs in the data migration ``registry.0002_load_code_tables`` so every
install has the tables; running the command again after a fixture update brings an
existing database up to date.  Work is set-based: per table one read of the existing
codes, one ``bulk_create`` and one ``bulk_update`` per hierarchy level.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
CODE_FIELDS = ("name", "name_en", "level", "valid_from", "valid_to", "extra", "parent_id")


@dataclass
class TableResult:
    key: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_in_fixture: list[str] = field(default_factory=list)


def read_meta(fixtures_dir: Path = FIXTURES_DIR) -> dict:
    meta = json.loads((fixtures_dir / "code_tables_meta.json").read_text(encoding="utf-8"))
    return {k: v for k, v in meta.items() if not k.startswith("_")}


def _value(raw: str):
    low = raw.lower()
    if low in {"true", "false"}:
        return low == "true"
    if raw == "1":
        return True
    return raw


def read_rows(path: Path) -> list[dict]:
    """Rows of one fixture file; ``x_<key>`` columns become ``extra[key]`` (blank ones are left out)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            code = (row.get("code") or "").strip()
            if not code or not (row.get("name") or "").strip():
                raise ValueError(f"{path.name} line {lineno}: code and name are required")
            extra = {
                k[2:]: _value(v.strip()) for k, v in row.items() if k.startswith("x_") and v and v.strip()
            }
            rows.append(
                {
                    "code": code,
                    "name": row["name"].strip(),
                    "name_en": (row.get("name_en") or "").strip(),
                    "parent": (row.get("parent") or "").strip(),
                    "level": int(row.get("level") or 1),
                    "valid_from": dt.date.fromisoformat(row["valid_from"]) if row.get("valid_from") else None,
                    "valid_to": dt.date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None,
                    "extra": extra,
                }
            )
    return rows


def _check_lengths(model, values: dict, where: str) -> None:
    """SQLite does not enforce max_length; check here so a fixture fails the same way everywhere."""
    for name, value in values.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise ValueError(f"{where}: {name} is longer than {limit} characters")


def load_table(code_table_model, code_model, key: str, meta: dict, rows: list[dict]) -> TableResult:
    """Upsert one table; parents are resolved level by level so a row may point at any earlier level."""
    _check_lengths(
        code_table_model, {k: meta.get(k, "") for k in ("name", "version", "source")}, f"table {key}"
    )
    for r in rows:
        _check_lengths(
            code_model, {k: r[k] for k in ("code", "name", "name_en")}, f"{meta['file']} code {r['code']}"
        )
    table, _ = code_table_model.objects.update_or_create(
        key=key,
        defaults={
            "name": meta["name"],
            "version": meta["version"],
            "source": meta.get("source", ""),
            "loaded_at": timezone.now(),
        },
    )
    existing = {c.code: c for c in code_model.objects.filter(table=table)}
    result = TableResult(key=key)
    ids = {code: obj.pk for code, obj in existing.items()}
    seen = set()
    for level in sorted({r["level"] for r in rows}):
        to_create, to_update = [], []
        for r in (r for r in rows if r["level"] == level):
            if r["code"] in seen:
                raise ValueError(f"{meta['file']}: code {r['code']} appears twice")
            seen.add(r["code"])
            parent_id = None
            if r["parent"]:
                parent_id = ids.get(r["parent"])
                if parent_id is None:
                    raise ValueError(
                        f"{meta['file']}: code {r['code']}: parent {r['parent']} is not defined at a lower level"
                    )
            values = {k: r[k] for k in ("name", "name_en", "level", "valid_from", "valid_to", "extra")}
            values["parent_id"] = parent_id
            obj = existing.get(r["code"])
            if obj is None:
                to_create.append(code_model(table=table, code=r["code"], **values))
            elif any(getattr(obj, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(obj, k, v)
                to_update.append(obj)
            else:
                result.unchanged += 1
        created = code_model.objects.bulk_create(to_create, batch_size=500)
        if created and created[0].pk is None:  # backends without RETURNING: read the ids back
            ids.update(dict(code_model.objects.filter(table=table, level=level).values_list("code", "pk")))
        else:
            ids.update({c.code: c.pk for c in created})
        if to_update:
            code_model.objects.bulk_update(to_update, list(CODE_FIELDS), batch_size=500)
        result.created += len(to_create)
        result.updated += len(to_update)
    result.not_in_fixture = sorted(set(existing) - seen)
    return result


def load_code_tables(
    code_table_model, code_model, keys=None, fixtures_dir: Path = FIXTURES_DIR
) -> list[TableResult]:
    """Load every (or the named) shipped table.  Usable from migrations with historical models."""
    meta = read_meta(fixtures_dir)
    unknown = set(keys or ()) - set(meta)
    if unknown:
        raise ValueError(
            f"unknown code table(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(meta))}"
        )
    results = []
    with transaction.atomic():
        for key in keys or meta:
            rows = read_rows(fixtures_dir / meta[key]["file"])
            results.append(load_table(code_table_model, code_model, key, meta[key], rows))
    return results


class Command(BaseCommand):
    help = "Create or update the shipped code tables (regions, industries, countries, currencies, units, …)."

    def add_arguments(self, parser):
        parser.add_argument("tables", nargs="*", help="table keys (default: all shipped tables)")

    def handle(self, *args, tables=None, **options):
        from zonebook.audit import services as audit
        from zonebook.core.context import acting_as
        from zonebook.registry.models import Code, CodeTable

        with acting_as("command"), transaction.atomic():
            try:
                results = load_code_tables(CodeTable, Code, keys=tables or None)
            except (ValueError, OSError) as exc:
                raise CommandError(str(exc)) from exc
            tables_by_key = CodeTable.objects.in_bulk([r.key for r in results], field_name="key")
            for r in results:
                if r.created or r.updated:
                    audit.record(
                        tables_by_key[r.key],
                        code="registry.codetable.loaded",
                        changes={"created": r.created, "updated": r.updated},
                        message=f"load_codes {r.key}",
                    )
        for r in results:
            line = f"{r.key:15} created {r.created:4}  updated {r.updated:4}  unchanged {r.unchanged:4}"
            if r.not_in_fixture:
                line += f"  not in fixture: {len(r.not_in_fixture)}"
            self.stdout.write(line)
