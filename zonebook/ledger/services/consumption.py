"""Consumption (单损耗) services: the only place ``unit_consumption`` is computed and stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError, RowError

from .. import calc
from ..choices import BookStatus, DeclarationStatus, ItemKind, ListState
from ..models import Book, BookItem, Consumption, InventoryListLine
from ._common import full_clean
from .books import _count_change

FIELDS = {
    "version",
    "valid_from",
    "valid_to",
    "net",
    "tangible_rate",
    "intangible_rate",
    "bonded_share",
    "declaration_status",
}


def _derive(row: Consumption) -> None:
    try:
        row.unit_consumption = calc.unit_consumption(row.net, row.tangible_rate, row.intangible_rate)
    except calc.LossRateError:
        raise DomainError(
            _("Tangible (%(t)s %%) plus intangible (%(i)s %%) loss rates must stay below 100 %%.")
            % {"t": row.tangible_rate, "i": row.intangible_rate},
            code="loss_rate",
            field="tangible_rate",
        ) from None
    except ValueError:
        raise DomainError(_("Net consumption cannot be negative."), code="invalid", field="net") from None


def _used_in_posting(product_id: int, version: str) -> bool:
    return InventoryListLine.objects.filter(
        item_id=product_id, resolved_version=version, inventory_list__state=ListState.POSTED
    ).exists()


@transaction.atomic
def add_consumption(product: BookItem, material: BookItem, data: Mapping, *, by=None) -> Consumption:
    """Add one BOM line (product, material, version); 单耗 is derived and stored here."""
    unknown = set(data) - FIELDS
    if unknown:
        raise DomainError(
            _("Unknown consumption field(s): %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if product.kind != ItemKind.PRODUCT:
        raise DomainError(
            _("Item %(seq)s is not a product.") % {"seq": product.seq_no}, code="invalid", field="product"
        )
    if material.kind != ItemKind.MATERIAL:
        raise DomainError(
            _("Item %(seq)s is not a material.") % {"seq": material.seq_no}, code="invalid", field="material"
        )
    if product.book_id != material.book_id:
        raise DomainError(
            _("Product and material belong to different books."), code="invalid", field="material"
        )
    if product.book.status == BookStatus.CLOSED:
        raise DomainError(
            _("Book %(number)s is closed.") % {"number": product.book.number}, code="book_closed"
        )
    row = Consumption(book_id=product.book_id, product=product, material=material, **data)
    row.version = (row.version or "0").strip()
    if _used_in_posting(product.pk, row.version):
        raise DomainError(
            _("Version %(v)s was used by posted inventory lists: create a new version instead.")
            % {"v": row.version},
            code="used",
            field="version",
        )
    if Consumption.objects.filter(product=product, material=material, version=row.version).exists():
        raise DomainError(
            _("Product %(p)s already has material %(m)s in version %(v)s.")
            % {"p": product.seq_no, "m": material.seq_no, "v": row.version},
            code="duplicate",
            field="version",
        )
    _derive(row)
    full_clean(row, exclude=["unit_consumption"])
    row.save()
    _count_change(product.book)
    audit.record(
        row,
        code="ledger.consumption.created",
        by=by,
        action="create",
        changes=audit.diff({}, audit.snapshot(row)),
    )
    return row


@transaction.atomic
def add_consumptions(
    book: Book, rows: Sequence[tuple[BookItem, BookItem, Mapping]], *, by=None
) -> list[Consumption]:
    """Add many BOM lines of one book at once: ``rows`` = (product, material, data) as for
    ``add_consumption``, whose rules are checked set-based (one query per rule, not per row): known
    fields, product/material kinds and book, loss rates, field validation, the (product, material,
    version) unique on the book and inside ``rows``, versions not used by posted lists.  Every problem
    is a ``RowError`` (row = position in ``rows``, from 1) and nothing is written; else one bulk insert,
    one audit entry per line and one change on the book.
    """
    if book.status == BookStatus.CLOSED:
        raise DomainError(_("Book %(number)s is closed.") % {"number": book.number}, code="book_closed")
    errors: list[RowError] = []
    built: list[tuple[int, Consumption]] = []
    for n, (product, material, data) in enumerate(rows, start=1):
        unknown = set(data) - FIELDS
        if unknown:
            errors.append(RowError(n, ", ".join(sorted(unknown)), "", _("unknown column")))
            continue
        if product.kind != ItemKind.PRODUCT or product.book_id != book.pk:
            errors.append(RowError(n, "product", str(product.seq_no), _("not a product of this book")))
            continue
        if material.kind != ItemKind.MATERIAL or material.book_id != book.pk:
            errors.append(RowError(n, "material", str(material.seq_no), _("not a material of this book")))
            continue
        row = Consumption(book=book, product=product, material=material, **data)
        row.version = (row.version or "0").strip()
        try:
            _derive(row)
            row.full_clean(
                exclude=["unit_consumption", "book", "product", "material"],
                validate_unique=False,
                validate_constraints=False,
            )
        except DomainError as exc:
            errors.append(RowError(n, exc.field or "", "", str(exc.message)))
            continue
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.append(RowError(n, field, str(data.get(field, "")), " ".join(messages)))
            continue
        built.append((n, row))
    product_ids = {r.product_id for _n, r in built}
    taken = set(
        Consumption.objects.filter(product_id__in=product_ids).values_list(
            "product_id", "material_id", "version"
        )
    )
    used = set(
        InventoryListLine.objects.filter(item_id__in=product_ids, inventory_list__state=ListState.POSTED)
        .values_list("item_id", "resolved_version")
        .distinct()
    )
    for n, row in built:
        key = (row.product_id, row.material_id, row.version)
        if (row.product_id, row.version) in used:
            errors.append(
                RowError(
                    n,
                    "version",
                    row.version,
                    _("Version %(v)s was used by posted inventory lists: create a new version instead.")
                    % {"v": row.version},
                )
            )
        if key in taken:
            errors.append(
                RowError(
                    n,
                    "version",
                    row.version,
                    _("Product %(p)s already has material %(m)s in version %(v)s.")
                    % {"p": row.product.seq_no, "m": row.material.seq_no, "v": row.version},
                )
            )
        taken.add(key)
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        raise DomainError(
            _("%(n)d problem(s) in the consumption rows; first: %(first)s")
            % {"n": len(errors), "first": errors[0]},
            code="invalid_consumption",
            details=errors,
        )
    created = Consumption.objects.bulk_create([r for _n, r in built], batch_size=2000)
    if created:
        _count_change(book)
        audit.record_many(created, code="ledger.consumption.created", by=by, action="create")
    return created


@transaction.atomic
def update_consumption(row: Consumption, data: Mapping, *, by=None) -> dict:
    """Edit a BOM line in place — only while it is not confirmed (已确定) and not used by a posted list.

    Otherwise use ``revise_consumption`` (a new version).
    """
    unknown = set(data) - (FIELDS - {"version"})
    if unknown:
        raise DomainError(
            _("Unknown consumption field(s): %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    row = Consumption.objects.select_for_update().get(pk=row.pk)
    if row.declaration_status == DeclarationStatus.CONFIRMED:
        raise DomainError(
            _("Version %(v)s of this consumption line is confirmed (已确定): create a new version instead.")
            % {"v": row.version},
            code="confirmed",
        )
    rate_fields = {"net", "tangible_rate", "intangible_rate", "bonded_share"}
    if rate_fields & set(data) and _used_in_posting(row.product_id, row.version):
        raise DomainError(
            _("Version %(v)s was used by posted inventory lists: create a new version instead.")
            % {"v": row.version},
            code="used",
        )
    before = audit.snapshot(row)
    for k, v in data.items():
        setattr(row, k, v)
    _derive(row)
    full_clean(row, exclude=["unit_consumption"])
    changes = audit.diff(before, audit.snapshot(row))
    if changes:
        row.save()
        _count_change(row.book)
        audit.record(row, code="ledger.consumption.updated", by=by, action="update", changes=changes)
    return changes


@transaction.atomic
def revise_consumption(
    product: BookItem,
    version: str,
    new_version: str,
    changes: Mapping[int, Mapping],
    *,
    valid_from: dt.date,
    by=None,
) -> list[Consumption]:
    """Create ``new_version`` of a product's BOM from ``version`` with ``changes`` applied
    ({material_id: {field: value}}, a value of None removes the material), valid from ``valid_from``;
    the old version ends the day before.  This is how a confirmed line changes (a 变更)."""
    old_rows = list(
        Consumption.objects.select_for_update()
        .filter(product=product, version=version)
        .order_by("material_id")
    )
    if not old_rows:
        raise DomainError(
            _("Product %(p)s has no consumption version %(v)s.") % {"p": product.seq_no, "v": version},
            code="not_found",
            field="version",
        )
    new_version = (new_version or "").strip()
    if Consumption.objects.filter(product=product, version=new_version).exists():
        raise DomainError(
            _("Version %(v)s already exists for this product.") % {"v": new_version},
            code="duplicate",
            field="version",
        )
    new_rows = []
    for old in old_rows:
        change = changes.get(old.material_id, {})
        if change is None:
            continue
        row = Consumption(
            book_id=old.book_id,
            product_id=old.product_id,
            material_id=old.material_id,
            version=new_version,
            valid_from=valid_from,
            valid_to=None,
            net=old.net,
            tangible_rate=old.tangible_rate,
            intangible_rate=old.intangible_rate,
            bonded_share=old.bonded_share,
            declaration_status=DeclarationStatus.DECLARED,
        )
        for k, v in change.items():
            if k not in FIELDS - {"version", "valid_from", "valid_to"}:
                raise DomainError(_("Unknown consumption field(s): %(f)s.") % {"f": k}, code="unknown_field")
            setattr(row, k, v)
        _derive(row)
        full_clean(row, exclude=["unit_consumption"])
        new_rows.append(row)
    known = {o.material_id for o in old_rows}
    for material_id, change in changes.items():
        if material_id not in known and change is not None:
            material = BookItem.objects.get(pk=material_id, book_id=product.book_id, kind=ItemKind.MATERIAL)
            row = Consumption(
                book_id=product.book_id,
                product=product,
                material=material,
                version=new_version,
                valid_from=valid_from,
                **change,
            )
            _derive(row)
            full_clean(row, exclude=["unit_consumption"])
            new_rows.append(row)
    Consumption.objects.bulk_create(new_rows)
    Consumption.objects.filter(product=product, version=version).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    ).update(valid_to=valid_from - dt.timedelta(days=1))
    _count_change(product.book)
    audit.record(
        product,
        code="ledger.consumption.revised",
        by=by,
        changes={"version": [version, new_version], "valid_from": valid_from, "materials": len(new_rows)},
    )
    return new_rows


def versions_in_force(product: BookItem, on: dt.date) -> list[str]:
    """Distinct consumption versions of a product in force on ``on``."""
    qs = Consumption.objects.filter(product=product).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on)
    )
    qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return sorted(set(qs.values_list("version", flat=True)))


def book_unit_consumptions(book: Book) -> dict:
    """{(product_id, version, material_id): Decimal 单耗} for display and checks."""
    return {
        (r[0], r[1], r[2]): r[3]
        for r in Consumption.objects.filter(book=book).values_list(
            "product_id", "version", "material_id", "unit_consumption"
        )
    }


__all__ = [
    "add_consumption",
    "update_consumption",
    "revise_consumption",
    "versions_in_force",
    "book_unit_consumptions",
    "Decimal",
]
