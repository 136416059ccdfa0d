"""Domestic sale (内销) duty and deferred-tax interest (缓税利息): rate look-ups from the dated tables, the
calculator (a simulation: nothing is written) and the audited writes of the rate tables.

Rules (domain doc §8): taxes at the rates in force on the date customs accepts the declaration; one
interest rate for the whole period — the rate in force on the tax-notice date, a waiver row in force
overriding it; scrap (边角料) and zone goods taxed as presented pay no interest; zone goods may choose
the selective levy (tariff on the materials content plus interest, VAT and consumption tax on the
goods as presented).  Interest runs from the first material import (handbooks B/C) or the end of
the last closed write-off, else the first import (e-books, zone books) to the notice date; the day
count is inclusive when ``settings.ZONEBOOK["LEDGER_INTEREST_DAYS_INCLUSIVE"]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from .. import calc_settlement as cs
from ..calc import q5
from ..choices import ItemKind, ListState
from ..models import (
    Balance,
    Book,
    BookItem,
    Consumption,
    InterestRate,
    InventoryListLine,
    ModeBookKind,
    PostingRule,
    TaxRate,
    WriteOff,
)
from ..models.dutytax import InterestBasis, TaxKind
from ..models.writeoff import WriteOffState
from ._common import full_clean, hs_problem

CATEGORIES = {
    "material": gettext_lazy("Materials sold domestically (料件内销)"),
    "product": gettext_lazy("Products sold domestically (成品内销, by materials content)"),
    "leftover": gettext_lazy("Leftover materials (剩余料件)"),
    "defective": gettext_lazy("Defectives (残次品, by materials content)"),
    "byproduct": gettext_lazy("By-products (副产品, as presented)"),
    "scrap": gettext_lazy("Scrap (边角料, as presented)"),
}
MATERIALS_CONTENT = {"product", "defective"}
AS_PRESENTED = {"byproduct", "scrap"}
INFLOW_TARGETS = ("imports", "carry_in", "leftover_in", "returns_in")
# 监管方式 of a scrap sale (边角料内销: 0844 进料 / 0845 来料; zone books 5200 区内边角调出), in order of
# preference; which of them a book may use comes from the dated mode/book-kind table, the balance
# effect from the dated posting rule of the mode (its scrap column), never from this list.
SCRAP_SALE_MODES = ("0844", "0845", "5200")


def inclusive_days() -> bool:
    return bool(settings.ZONEBOOK.get("LEDGER_INTEREST_DAYS_INCLUSIVE", False))


def tax_rate_on(hs_code: str, kind: str, on: dt.date) -> Decimal:
    """The rate (%) of ``kind`` for ``hs_code`` in force on ``on``; a gap is an error naming HS and date."""
    rows = list(
        TaxRate.objects.filter(hs_code=hs_code, kind=kind, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("rate", flat=True)[:2]
    )
    if len(rows) != 1:
        raise DomainError(
            _("No %(tax)s rate for HS %(hs)s on %(date)s in the rate table.")
            % {"tax": TaxKind(kind).label, "hs": hs_code, "date": on}
            if not rows
            else _("Several %(tax)s rates for HS %(hs)s are in force on %(date)s.")
            % {"tax": TaxKind(kind).label, "hs": hs_code, "date": on},
            code="rate_missing" if not rows else "rate_ambiguous",
            field="date",
        )
    return rows[0]


def interest_rate_on(on: dt.date) -> tuple[Decimal, str]:
    """(rate % p.a., basis) on the tax-notice date: a waiver in force wins, else the one base rate."""
    rows = list(
        InterestRate.objects.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("rate", "basis")
    )
    waiver = [r for r in rows if r[1] == InterestBasis.WAIVER]
    if waiver:
        return waiver[0]
    if len(rows) != 1:
        raise DomainError(
            _("No deferred-tax interest rate for %(date)s in the rate table.") % {"date": on}
            if not rows
            else _("Several deferred-tax interest rates are in force on %(date)s.") % {"date": on},
            code="interest_rate_missing" if not rows else "interest_rate_ambiguous",
            field="date",
        )
    return rows[0]


def interest_start(book: Book, on: dt.date) -> dt.date | None:
    """Handbooks (B/C/D): first material import; other books: end of the last closed write-off before
    ``on`` (+1 day), else the first material import."""
    first = InventoryListLine.objects.filter(
        inventory_list__book=book,
        inventory_list__state=ListState.POSTED,
        inventory_list__rule__target__in=INFLOW_TARGETS,
    ).aggregate(d=Min("inventory_list__declaration_date"))["d"]
    if book.kind in ("B", "C", "D"):
        return first
    last = WriteOff.objects.filter(book=book, state=WriteOffState.CLOSED, end__lt=on).order_by("-end").first()
    return last.end + dt.timedelta(days=1) if last else first


def _imported_value(item: BookItem) -> Decimal:
    """Declared value of the material's posted inflow lines (a line without an amount at the filed price)."""
    lines = InventoryListLine.objects.filter(
        item=item, inventory_list__state=ListState.POSTED, inventory_list__rule__target__in=INFLOW_TARGETS
    )
    agg = lines.aggregate(a=Sum("amount"), q=Sum("qty", filter=Q(amount=0)))
    return (agg["a"] or Decimal(0)) + (agg["q"] or Decimal(0)) * item.unit_price


def _positive(value, name) -> Decimal:
    try:
        v = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unparsable input is the same error
        raise DomainError(_("%(f)s must be a number.") % {"f": name}, code="invalid", field=name) from None
    if not v.is_finite() or v <= 0:
        raise DomainError(_("%(f)s must be greater than zero.") % {"f": name}, code="invalid", field=name)
    return v


def simulate_domestic_sale(
    book: Book,
    *,
    item_kind: str,
    seq_no: int,
    qty,
    on: dt.date,
    category: str | None = None,
    value=None,
    exchange_rate=1,
    variant: str | None = None,
    scrap_hs: str | None = None,
) -> dict:
    """Simulate a domestic sale before filing (nothing is written).

    ``value``: customs value in CNY of the goods as presented (else filed unit price × qty ×
    ``exchange_rate``).  Materials content uses each material's filed unit price × ``exchange_rate``.
    Scrap (边角料, domain doc §8.1) is sold as presented: ``seq_no`` names the material whose scrap it
    is, ``scrap_hs`` the scrap's own HS code (its rates apply, not the material's), ``value`` the
    assessed price (required); the quantity comes off the material's scrap balance through the
    posting rule of the scrap-sale mode (0844/0845, zone books 5200), not off its remaining quantity.
    Returns ``{"variants": [...], "rules": [...], "balance_effect": [...], "leftover": {...}}``; zone
    books selling products get both variants (``product`` as presented, ``materials`` selective
    levy) side by side unless ``variant`` picks one.
    """
    qty = _positive(qty, "qty")
    fx = _positive(exchange_rate, "exchange_rate")
    item = BookItem.objects.filter(book=book, kind=item_kind, seq_no=seq_no).first()
    if item is None:
        raise DomainError(
            _("Book %(book)s has no %(kind)s with sequence number %(seq)s.")
            % {
                "book": book.number,
                "kind": ItemKind(item_kind).label if item_kind in ItemKind.values else item_kind,
                "seq": seq_no,
            },
            code="unknown_item",
            field="seq_no",
        )
    if category is None:
        category = "product" if item_kind == ItemKind.PRODUCT else "material"
    if category not in CATEGORIES:
        raise DomainError(_("Unknown category %(c)s.") % {"c": category}, code="invalid", field="category")
    if (category in MATERIALS_CONTENT) != (item_kind == ItemKind.PRODUCT) and category not in AS_PRESENTED:
        raise DomainError(
            _("Category %(c)s needs a %(kind)s.")
            % {
                "c": category,
                "kind": ItemKind.PRODUCT.label if category in MATERIALS_CONTENT else ItemKind.MATERIAL.label,
            },
            code="invalid",
            field="category",
        )
    scrap_rule = None
    if category == "scrap":
        scrap_hs, scrap_rule = _check_scrap_sale(book, item_kind, scrap_hs, value, on)
    zone = book.kind == "H"
    rules: list[str] = []
    presented_value = Decimal(str(value)) if value not in (None, "") else cs.money(qty * item.unit_price * fx)
    if value in (None, ""):
        rules.append(
            _("Customs value = filed unit price %(p)s × %(q)s × exchange rate %(fx)s.")
            % {"p": item.unit_price, "q": qty, "fx": fx}
        )
    content = []
    if item_kind == ItemKind.PRODUCT:
        content = _materials_content(item, qty, on, fx)
    variants = []
    notice = on
    if zone and item_kind == ItemKind.PRODUCT and category not in ("scrap",):
        wanted = [variant] if variant in ("product", "materials") else ["product", "materials"]
        rules.append(
            _(
                "Zone goods crossing the second line: taxed as presented, or by the selective levy (tariff on the materials content plus interest)."
            )
        )
        if "product" in wanted:
            line = _tax_line(item.hs_code, item.name, presented_value, on)
            variants.append(
                _variant(
                    "product",
                    _("As presented (按成品征税)"),
                    [line],
                    None,
                    book,
                    notice,
                    rules_note=_("no interest"),
                )
            )
        if "materials" in wanted:
            lines = []
            for m in content:
                t = tax_rate_on(m["hs_code"], TaxKind.TARIFF, on)
                tax = cs.taxes(m["value"], t, 0, 0)
                lines.append(
                    {
                        **_line_base(m["hs_code"], m["name"], m["value"]),
                        "tariff_rate": t,
                        "tariff": tax.tariff,
                        "consumption_rate": Decimal(0),
                        "consumption_tax": tax.consumption_tax,
                        "vat_rate": Decimal(0),
                        "vat": tax.vat,
                        "total": tax.total,
                        "qty": m["qty"],
                    }
                )
            goods = _tax_line(item.hs_code, item.name, presented_value, on, tariff=False)
            lines.append(goods)
            interest_base = sum((ln["tariff"] for ln in lines), Decimal(0))
            variants.append(
                _variant(
                    "materials",
                    _("Selective levy (选择性征收: tariff on materials)"),
                    lines,
                    interest_base,
                    book,
                    notice,
                )
            )
    else:
        if category == "scrap":
            lines = [_tax_line(scrap_hs, _hs_name(scrap_hs), presented_value, on, qty=qty)]
            rules.append(
                _(
                    "Scrap (边角料) is taxed as presented: its own HS code %(hs)s and the assessed price %(value)s, not the material's HS code %(material_hs)s."
                )
                % {"hs": scrap_hs, "value": cs.money(presented_value), "material_hs": item.hs_code}
            )
        elif category in AS_PRESENTED:
            lines = [_tax_line(item.hs_code, item.name, presented_value, on)]
            rules.append(_("Taxed as presented (HS and assessed value of the goods)."))
        elif item_kind == ItemKind.PRODUCT:
            lines = [_tax_line(m["hs_code"], m["name"], m["value"], on, qty=m["qty"]) for m in content]
            rules.append(_("Taxed by materials content (料件折算) through the consumption version in force."))
        else:
            lines = [_tax_line(item.hs_code, item.name, presented_value, on, qty=qty)]
        total = sum((ln["total"] for ln in lines), Decimal(0))
        if category == "scrap":
            rules.append(_("Scrap (边角料) is exempt from deferred-tax interest."))
            variants.append(
                _variant(
                    category, CATEGORIES[category], lines, None, book, notice, rules_note=_("exempt: scrap")
                )
            )
        elif zone:
            rules.append(_("Zone goods taxed as presented pay no deferred-tax interest."))
            variants.append(
                _variant(
                    category, CATEGORIES[category], lines, None, book, notice, rules_note=_("no interest")
                )
            )
        else:
            variants.append(_variant(category, CATEGORIES[category], lines, total, book, notice))
    leftover = None
    if category in ("leftover", "defective") or (category == "material" and item_kind == ItemKind.MATERIAL):
        mats = (
            [(item, presented_value)]
            if item_kind == ItemKind.MATERIAL
            else [(m["item"], m["value"]) for m in content]
        )
        checks = []
        for it, v in mats:
            imported = cs.money(_imported_value(it) * fx)
            checks.append(
                {
                    "seq_no": it.seq_no,
                    "value": v,
                    "imported_value": imported,
                    "limit": cs.money(min(imported * cs.LEFTOVER_SHARE_PERCENT / 100, cs.LEFTOVER_CAP)),
                    "licence_exempt": cs.leftover_licence_exempt(v, imported),
                }
            )
        leftover = {
            "applies": category in ("leftover", "defective"),
            "materials": checks,
            "licence_exempt": all(c["licence_exempt"] for c in checks),
        }
        if leftover["applies"]:
            rules.append(
                _("Leftover rule: ≤ 3 %% of the actual imported value and ≤ RMB 10,000 → no licence: %(r)s.")
                % {"r": _("exempt") if leftover["licence_exempt"] else _("licence required")}
            )
    if scrap_rule is not None:
        effect = _scrap_effect(item, qty, scrap_rule)
        rules.append(
            _(
                "Scrap sale posts as %(mode)s: %(qty)s come off the scrap balance (边角料余额) of material %(seq)s, not off its remaining quantity."
            )
            % {"mode": scrap_rule.supervision_mode, "qty": qty, "seq": item.seq_no}
        )
    else:
        effect = _balance_effect(item, qty, content)
    return {
        "book": book.number,
        "item": {
            "kind": item.kind,
            "seq_no": item.seq_no,
            "part_no": item.part_no,
            "hs_code": item.hs_code,
            "name": item.name,
        },
        "qty": qty,
        "date": on,
        "category": category,
        "variants": variants,
        "rules": [str(r) for r in rules],
        "leftover": leftover,
        "scrap": (
            {
                "hs_code": scrap_hs,
                "supervision_mode": scrap_rule.supervision_mode,
                "ie_mark": scrap_rule.ie_mark,
                "column": scrap_rule.target,
            }
            if scrap_rule is not None
            else None
        ),
        "balance_effect": effect,
    }


def _check_scrap_sale(book: Book, item_kind: str, scrap_hs, value, on: dt.date) -> tuple[str, PostingRule]:
    """A scrap sale names a material, the scrap's own HS code and its assessed price; the book must
    have a scrap-sale mode with a posting rule in force.  Returns (HS code, posting rule)."""
    if item_kind != ItemKind.MATERIAL:
        raise DomainError(
            _(
                "Scrap (边角料) belongs to a material: give the sequence number of the material whose scrap is sold."
            ),
            code="invalid",
            field="item_kind",
        )
    if value in (None, ""):
        raise DomainError(
            _("Scrap is taxed at its assessed price: enter the customs value (估价) of the scrap."),
            code="invalid",
            field="value",
        )
    scrap_hs = str(scrap_hs or "").strip()
    if not scrap_hs:
        raise DomainError(
            _("Enter the HS code of the scrap as presented (it is usually not the material's HS code)."),
            code="invalid",
            field="scrap_hs",
        )
    problem = hs_problem(scrap_hs)
    if problem:
        raise DomainError(problem[1], code=problem[0], field="scrap_hs")
    allowed = {
        m
        for m, kinds in ModeBookKind.objects.filter(supervision_mode__in=SCRAP_SALE_MODES, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("supervision_mode", "book_kinds")
        if book.kind in kinds
    }
    rules = {
        r.supervision_mode: r
        for r in PostingRule.objects.filter(
            supervision_mode__in=allowed, item_kind=ItemKind.MATERIAL, scrap=True, valid_from__lte=on
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    }
    for mode in SCRAP_SALE_MODES:
        if mode in rules:
            return scrap_hs, rules[mode]
    raise DomainError(
        _("No scrap-sale posting rule (%(modes)s) for a book of kind %(kind)s on %(date)s.")
        % {"modes": "/".join(SCRAP_SALE_MODES), "kind": book.kind, "date": on},
        code="no_rule",
        field="date",
    )


def _hs_name(hs: str) -> str:
    from zonebook.registry.models import Code

    from .reference import HS_TABLE

    return Code.objects.filter(table__key=HS_TABLE, code=hs).values_list("name", flat=True).first() or ""


def _scrap_effect(item: BookItem, qty, rule: PostingRule) -> list[dict]:
    """The sale moves the material's scrap balance by sign × qty (the rule's scrap column)."""
    before = Balance.objects.filter(item=item).values_list("scrap_balance", flat=True).first() or Decimal(0)
    delta = rule.sign * qty
    return [
        {
            "seq_no": item.seq_no,
            "part_no": item.part_no,
            "column": "scrap_balance",
            "before": before,
            "delta": delta,
            "after": before + delta,
            "negative": before + delta < 0,
        }
    ]


def _line_base(hs, name, value):
    return {"hs_code": hs, "name": name, "value": cs.money(value)}


def _tax_line(hs, name, value, on, *, tariff=True, qty=None) -> dict:
    t = tax_rate_on(hs, TaxKind.TARIFF, on) if tariff else Decimal(0)
    c = _optional_rate(hs, TaxKind.CONSUMPTION, on)
    v = tax_rate_on(hs, TaxKind.VAT, on)
    tax = cs.taxes(value, t, c, v)
    return {
        **_line_base(hs, name, value),
        "qty": qty,
        "tariff_rate": t,
        "tariff": tax.tariff,
        "consumption_rate": c,
        "consumption_tax": tax.consumption_tax,
        "vat_rate": v,
        "vat": tax.vat,
        "total": tax.total,
    }


def _optional_rate(hs, kind, on) -> Decimal:
    """Consumption tax applies only to goods listed with a rate: no row at all for the HS = 0; a row
    for the HS that does not cover the date is still a gap (error)."""
    if not TaxRate.objects.filter(hs_code=hs, kind=kind).exists():
        return Decimal(0)
    return tax_rate_on(hs, kind, on)


def _variant(key, label, lines, interest_base, book, notice, rules_note="") -> dict:
    total_tax = sum((ln["total"] for ln in lines), Decimal(0))
    interest = {
        "base": None,
        "start": None,
        "end": notice,
        "days": 0,
        "rate": None,
        "basis": "",
        "amount": Decimal("0.00"),
        "note": str(rules_note),
    }
    if interest_base is not None:
        start = interest_start(book, notice)
        rate, basis = interest_rate_on(notice)
        days = cs.interest_days(start, notice, inclusive_days())
        interest.update(
            base=interest_base,
            start=start,
            days=days,
            rate=rate,
            basis=basis,
            amount=cs.deferred_interest(interest_base, days, rate),
            note=_("waived") if basis == InterestBasis.WAIVER else "",
        )
    return {
        "key": key,
        "label": str(label),
        "lines": lines,
        "total_tax": total_tax,
        "interest": interest,
        "grand_total": total_tax + interest["amount"],
    }


def _materials_content(product: BookItem, qty, on, fx) -> list[dict]:
    versions = (
        Consumption.objects.filter(product=product)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
        .order_by()
        .values_list("version", flat=True)
        .distinct()
    )
    versions = list(versions)
    if len(versions) != 1:
        raise DomainError(
            _(
                "Product %(seq)s has %(n)d consumption versions in force on %(date)s; the materials content needs exactly one."
            )
            % {"seq": product.seq_no, "n": len(versions), "date": on},
            code="consumption_version",
            field="seq_no",
        )
    rows = (
        Consumption.objects.filter(product=product, version=versions[0])
        .select_related("material")
        .order_by("material__seq_no")
    )
    out = []
    for c in rows:
        mqty = q5(qty * c.unit_consumption * c.bonded_share / 100)
        out.append(
            {
                "item": c.material,
                "seq_no": c.material.seq_no,
                "hs_code": c.material.hs_code,
                "name": c.material.name,
                "qty": mqty,
                "value": cs.money(mqty * c.material.unit_price * fx),
                "version": versions[0],
            }
        )
    return out


def _balance_effect(item: BookItem, qty, content) -> list[dict]:
    pairs = [(item, qty)] if item.kind == ItemKind.MATERIAL else [(m["item"], m["qty"]) for m in content]
    stored = dict(
        Balance.objects.filter(item__in=[p[0] for p in pairs]).values_list("item_id", "expected_remaining")
    )
    out = []
    for it, q in pairs:
        before = stored.get(it.pk, Decimal(0))
        out.append(
            {
                "seq_no": it.seq_no,
                "part_no": it.part_no,
                "column": "expected_remaining",
                "before": before,
                "delta": -q,
                "after": before - q,
                "negative": before - q < 0,
            }
        )
    return out


# ------------------------------------------------------------------ rate tables (admin writes, audited)

TAX_FIELDS = {"hs_code", "kind", "rate", "valid_from", "valid_to", "source"}
INTEREST_FIELDS = {"basis", "rate", "valid_from", "valid_to", "source"}


@transaction.atomic
def save_tax_rate(obj: TaxRate | None, data: Mapping, *, by=None) -> TaxRate:
    return _save(TaxRate, obj, data, TAX_FIELDS, by)


@transaction.atomic
def save_interest_rate(obj: InterestRate | None, data: Mapping, *, by=None) -> InterestRate:
    return _save(InterestRate, obj, data, INTEREST_FIELDS, by)


def _save(model, obj, data, allowed, by):
    unknown = set(data) - allowed
    if unknown:
        raise DomainError(
            _("Unknown field(s): %(f)s.") % {"f": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    if obj is None:
        obj = model(**data)
        full_clean(obj)
        obj.save()
        audit.record(
            obj,
            code=f"ledger.{model._meta.model_name}.created",
            by=by,
            action="create",
            changes=audit.diff({}, audit.snapshot(obj)),
        )
        return obj
    before = audit.snapshot(obj)
    for k, v in data.items():
        setattr(obj, k, v)
    full_clean(obj)
    obj.save()
    changes = audit.diff(before, audit.snapshot(obj))
    if changes:
        audit.record(
            obj, code=f"ledger.{model._meta.model_name}.updated", by=by, action="update", changes=changes
        )
    return obj
