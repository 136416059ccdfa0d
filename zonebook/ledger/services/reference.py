"""Reference data of the ledger shipped as fixtures: posting rules, 监管方式 ↔ book kinds, HS codes.

``load_reference_data()`` is idempotent (get-or-create by natural key, existing rows are left as
an admin edited them).  The data migration ``0002_reference_data`` calls it with historical models.

``load_demo_tax_rates()`` loads the demo's tax rates (``fixtures/demo_tax_rates.csv``, a file in
the format of the ``tax_rates`` import): only the demo loads them — the tariff figures are demo
values, an office imports the official tables.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HS_TABLE = "hs"
DEMO_TAX_RATES = FIXTURES / "demo_tax_rates.csv"


def _date(value):
    return dt.date.fromisoformat(value) if value else None


def read_posting_rules() -> list[dict]:
    rows = json.loads((FIXTURES / "posting_rules.json").read_text("utf-8"))
    for r in rows:
        r["valid_from"], r["valid_to"] = _date(r["valid_from"]), _date(r["valid_to"])
    return rows


def read_mode_book_kinds() -> list[dict]:
    rows = json.loads((FIXTURES / "mode_book_kinds.json").read_text("utf-8"))
    for r in rows:
        r["valid_from"], r["valid_to"] = _date(r["valid_from"]), _date(r["valid_to"])
    return rows


def read_hs_codes() -> list[dict]:
    out = []
    for line in (FIXTURES / "hs_codes.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name, unit1, unit2, group = (line.split("\t") + [""] * 5)[:5]
        out.append(
            {
                "code": code,
                "name": name,
                "extra": {"legal_unit1": unit1, "legal_unit2": unit2, "group": group},
            }
        )
    return out


def load_reference_data(apps=None) -> dict[str, int]:
    """Create missing posting rules, mode/book-kind rows and HS codes (registry code table ``hs``)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    PostingRule = apps.get_model("ledger", "PostingRule")
    ModeBookKind = apps.get_model("ledger", "ModeBookKind")
    CodeTable = apps.get_model("registry", "CodeTable")
    Code = apps.get_model("registry", "Code")
    created = {"rules": 0, "mode_kinds": 0, "hs": 0}
    for r in read_posting_rules():
        key = {k: r.pop(k) for k in ("supervision_mode", "ie_mark", "item_kind", "valid_from")}
        _, new = PostingRule.objects.get_or_create(**key, defaults=r)
        created["rules"] += new
    for r in read_mode_book_kinds():
        key = {k: r.pop(k) for k in ("supervision_mode", "valid_from")}
        _, new = ModeBookKind.objects.get_or_create(**key, defaults=r)
        created["mode_kinds"] += new
    table, _ = CodeTable.objects.get_or_create(
        key=HS_TABLE,
        defaults={
            "name": "HS codes (商品编码)",
            "version": "2024 (subset)",
            "source": "zonebook/ledger/fixtures/hs_codes.tsv",
        },
    )
    existing = set(Code.objects.filter(table=table).values_list("code", flat=True))
    new_codes = [
        Code(table=table, code=h["code"], name=h["name"], extra=h["extra"])
        for h in read_hs_codes()
        if h["code"] not in existing
    ]
    Code.objects.bulk_create(new_codes)
    created["hs"] = len(new_codes)
    return created


def load_demo_tax_rates() -> int:
    """Tax rates (关税, 增值税, 消费税) for every HS code the demo books use, through the ``tax_rates``
    import kind.  Left alone when the rate table has rows already (an office's own tables are never
    mixed with demo values).  Returns the number of rows imported."""
    from zonebook.core.errors import DomainError
    from zonebook.core.imports import pipeline
    from zonebook.core.imports.kinds import get_kind

    from ..models import TaxRate

    if TaxRate.objects.exists():
        return 0
    result = pipeline.run(get_kind("tax_rates"), DEMO_TAX_RATES, DEMO_TAX_RATES.name, None)
    pipeline.raise_if_errors(result)
    if not result.written:
        raise DomainError(f"{DEMO_TAX_RATES.name}: no rates imported", code="demo_rates")
    return result.written
