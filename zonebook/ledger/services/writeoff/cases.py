"""Write-off difference cases (差异): the materials over the threshold, their provenance and the
proposed settlement (§6.4), and their resolution.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from ... import calc_settlement
from ...choices import ItemKind
from ...models import (
    BookItem,
    Consumption,
    DifferenceCase,
    InventoryList,
    InventoryListLine,
    StocktakeRow,
    WriteOff,
    WriteOffLine,
    WriteOffList,
)
from ...models.writeoff import CaseStatus, ReasonCode, SettlementKind

PROVENANCE_LISTS = 20


# ------------------------------------------------------------------ difference cases


def _flagged(wo: WriteOff):
    """Material lines whose difference exceeds the threshold (|rate| > t, or 应剩余 = 0 and 差异 ≠ 0)."""
    t = wo.threshold_percent
    return (
        WriteOffLine.objects.filter(writeoff=wo, kind=ItemKind.MATERIAL, difference_qty__isnull=False)
        .exclude(difference_qty=0)
        .filter(Q(difference_rate__isnull=True) | Q(difference_rate__gt=t) | Q(difference_rate__lt=-t))
        .order_by("seq_no")
    )


def _provenance(wo: WriteOff, item_ids: list[int]) -> dict[int, dict]:
    """Per flagged material: the lists that moved it (directly or through products), the consumption
    versions used and the stocktake rows that make up its actual remaining (four queries)."""
    out = {i: {"lists": [], "list_count": 0, "versions": [], "stocktake_rows": []} for i in item_ids}
    if not item_ids:
        return out
    t_line, t_cons, t_wol, t_list = (
        InventoryListLine._meta.db_table,
        Consumption._meta.db_table,
        WriteOffList._meta.db_table,
        InventoryList._meta.db_table,
    )
    # Plain joins from the write-off's frozen lists and stocktake (no filter on the flagged items in SQL:
    # just-written rows have stale planner statistics); the flagged items are picked in Python.
    t_stock = StocktakeRow._meta.db_table
    products = f"""SELECT DISTINCT l.inventory_list_id AS list_id, l.item_id AS product_id, l.resolved_version AS version
                     FROM {t_wol} w JOIN {t_line} l ON l.inventory_list_id = w.inventory_list_id
                    WHERE w.writeoff_id = %s AND l.resolved_version <> ''"""
    pairs = f"""
        SELECT DISTINCT l.item_id AS material_id, l.inventory_list_id AS list_id
          FROM {t_wol} w JOIN {t_line} l ON l.inventory_list_id = w.inventory_list_id
         WHERE w.writeoff_id = %s AND l.resolved_version = ''
        UNION
        SELECT c.material_id, p.list_id FROM ({products}) p
          JOIN {t_cons} c ON c.product_id = p.product_id AND c.version = p.version
    """
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT lst.id, lst.declaration_date, lst.number FROM {t_wol} w JOIN {t_list} lst ON lst.id = w.inventory_list_id"
            " WHERE w.writeoff_id = %s",
            [wo.pk],
        )
        lists = {i: (d, n) for i, d, n in cur.fetchall()}
        cur.execute(pairs, [wo.pk, wo.pk])
        found: dict[int, list] = {}
        for mid, list_id in cur.fetchall():
            if mid in out:
                found.setdefault(mid, []).append(lists[list_id])
        for mid, entries in found.items():
            entries.sort()
            out[mid]["list_count"] = len(entries)
            out[mid]["lists"] = [n for _d, n in entries[:PROVENANCE_LISTS]]
        cur.execute(
            f"""SELECT DISTINCT c.material_id, c.product_id, c.version
                  FROM (SELECT DISTINCT p.product_id, p.version FROM ({products}) p) q
                  JOIN {t_cons} c ON c.product_id = q.product_id AND c.version = q.version
                 ORDER BY c.material_id, c.product_id, c.version""",
            [wo.pk],
        )
        seqs = dict(BookItem.objects.filter(book=wo.book, kind=ItemKind.PRODUCT).values_list("id", "seq_no"))
        for mid, pid, version in cur.fetchall():
            if mid in out:
                out[mid]["versions"].append({"product_seq_no": seqs.get(pid), "version": version})
        cur.execute(
            f"""SELECT s.row_no, s.item_id FROM {t_stock} s WHERE s.writeoff_id = %s
                UNION
                SELECT s.row_no, c.material_id FROM {t_stock} s
                  JOIN {t_cons} c ON c.product_id = s.item_id AND c.version = s.version
                 WHERE s.writeoff_id = %s
                ORDER BY 1""",
            [wo.pk, wo.pk],
        )
        for row_no, mid in cur.fetchall():
            if mid in out:
                out[mid]["stocktake_rows"].append(row_no)
    return out


def _recompute_cases(wo: WriteOff, by=None) -> dict:
    """After a recomputation of a pre-checked write-off: open cases are superseded and opened again
    from the new figures; a material whose case was resolved keeps it when its difference did not
    change (else it gets a new case: the resolution answered another difference)."""
    superseded = DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN).update(
        status=CaseStatus.SUPERSEDED
    )
    resolved = set(
        DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.RESOLVED).values_list(
            "item_id", "difference_qty"
        )
    )
    keep = {
        item_id
        for item_id, qty in WriteOffLine.objects.filter(writeoff=wo, kind=ItemKind.MATERIAL).values_list(
            "item_id", "difference_qty"
        )
        if (item_id, qty) in resolved
    }
    return {"cases_superseded": superseded, "cases_opened": _open_cases(wo, by=by, skip=keep)}


def _open_cases(wo: WriteOff, by=None, skip: set[int] | frozenset = frozenset()) -> int:
    """One case per flagged material line, with provenance and a proposed settlement (§6.4);
    ``skip``: materials that keep the case they have."""
    lines = list(
        _flagged(wo)
        .exclude(item_id__in=skip)
        .values(
            "item_id",
            "seq_no",
            "difference_qty",
            "difference_rate",
            "difference_amount",
            "expected_remaining",
            "actual_remaining",
        )
    )
    prov = _provenance(wo, [ln["item_id"] for ln in lines])
    cases = []
    for ln in lines:
        diff = calc_settlement.Difference(
            ln["difference_qty"], ln["difference_rate"], ln["difference_amount"]
        )
        p = calc_settlement.propose(diff)
        cases.append(
            DifferenceCase(
                writeoff=wo,
                item_id=ln["item_id"],
                seq_no=ln["seq_no"],
                difference_qty=ln["difference_qty"],
                difference_rate=ln["difference_rate"],
                difference_amount=ln["difference_amount"] or 0,
                expected_remaining=ln["expected_remaining"],
                actual_remaining=ln["actual_remaining"],
                reason_code=p.reason,
                proposed_kind=p.kind,
                proposed_qty=p.qty,
                proposed_amount=p.amount,
                provenance=prov.get(ln["item_id"], {}),
            )
        )
    DifferenceCase.objects.bulk_create(cases)
    if cases:
        audit.record(
            wo,
            code="ledger.writeoff.cases_opened",
            by=by,
            changes={"cases": len(cases), "seq_nos": [c.seq_no for c in cases][:100]},
        )
    return len(cases)


def open_case_numbers(wo: WriteOff) -> list[int]:
    return list(
        DifferenceCase.objects.filter(writeoff=wo, status=CaseStatus.OPEN)
        .order_by("seq_no")
        .values_list("seq_no", flat=True)
    )


@transaction.atomic
def resolve_case(
    case: DifferenceCase, *, reason_code: str, settlement_kind: str, resolution: str, by=None
) -> DifferenceCase:
    """Record how a difference was settled (reason, settlement, text); audit-trailed.  Only open cases
    of a write-off that is not closed."""
    case = (
        DifferenceCase.objects.select_for_update(of=("self",))
        .select_related("writeoff", "writeoff__book", "writeoff__book__zone")
        .get(pk=case.pk)
    )
    if case.status != CaseStatus.OPEN:
        raise DomainError(
            _("Case %(c)s is %(s)s; only open cases can be resolved.")
            % {"c": case.pk, "s": CaseStatus(case.status).label},
            code="bad_state",
        )
    if reason_code not in ReasonCode.values:
        raise DomainError(_("Choose a reason code."), code="reason_code", field="reason_code")
    if settlement_kind not in SettlementKind.values:
        raise DomainError(
            _("Choose how the difference is settled."), code="settlement_kind", field="settlement_kind"
        )
    if not (resolution or "").strip():
        raise DomainError(
            _("Describe the resolution (what was filed or decided)."), code="resolution", field="resolution"
        )
    before = audit.snapshot(case, ["status", "reason_code", "settlement_kind", "resolution"])
    case.status = CaseStatus.RESOLVED
    case.reason_code = reason_code
    case.settlement_kind = settlement_kind
    case.resolution = resolution.strip()
    case.resolved_by = by if getattr(by, "is_authenticated", False) else None
    case.resolved_at = timezone.now()
    case.save()
    after = audit.snapshot(case, ["status", "reason_code", "settlement_kind", "resolution"])
    audit.record(
        case,
        code="ledger.difference_case.resolved",
        by=by,
        action="update",
        changes=audit.diff(before, after),
    )
    return case
