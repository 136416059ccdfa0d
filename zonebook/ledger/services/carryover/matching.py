"""Deep-processing carry-over (深加工结转) matching (对碰): the pairing rules, pairing halves by hand or
automatically per (application, item, month), undoing a pairing, the queue and the period summary.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, Exists, F, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from ...calc import q5
from ...models import CarryOver, CarryOverLink, CarryOverMatch
from ...models.carryover import CarryOverState, QueueStatus
from .applications import refresh_totals
from .parties import QTY_FIELD, RECV, SHIP, TOLERANCE, _lock, config, month_of

# ------------------------------------------------------------------ pairing (对碰)


def pairing_rule(
    *, first: dt.date, last: dt.date, ship_qty, recv_qty, ship_lists: int = 1, recv_lists: int = 1, cfg=None
) -> tuple[str, dict] | None:
    """The §7 rules 2 and 4–5 of one pairing from the aggregates of its two sides: ``(code, figures)``
    of the first broken rule (``cross_year``, ``window``, ``many_to_one``, ``qty_mismatch``), else None.

    Shared by the carry-over pairing (``_pairing_errors``) and the zone operations' bonded-goods flows
    (区内/区间流转, GG2016-86: the same 30-day window, calendar year and quantity rule)."""
    cfg = config() if cfg is None else cfg
    if first.year != last.year:
        return "cross_year", {"a": first, "b": last}
    window = cfg.get("WINDOW_DAYS")
    if window is not None and (last - first).days > int(window):
        return "window", {"d": (last - first).days, "a": first, "b": last, "w": int(window)}
    if not cfg.get("MANY_TO_ONE") and (ship_lists != 1 or recv_lists != 1):
        return "many_to_one", {"s": ship_lists, "r": recv_lists}
    diff = ship_qty - recv_qty
    if abs(diff) > TOLERANCE and not cfg.get("PARTIAL"):
        return "qty_mismatch", {"s": q5(ship_qty), "r": q5(recv_qty), "d": q5(diff)}
    return None


def _pairing_errors(co: CarryOver, ship: Mapping, recv: Mapping, cfg: Mapping) -> DomainError | None:
    """Rules of one pairing from the aggregates of its two sides (dicts: qty, lists, first, last)."""
    broken = pairing_rule(
        first=min(ship["first"], recv["first"]),
        last=max(ship["last"], recv["last"]),
        ship_qty=ship["qty"],
        recv_qty=recv["qty"],
        ship_lists=ship["lists"],
        recv_lists=recv["lists"],
        cfg=cfg,
    )
    if broken is None:
        return None
    code, f = broken
    if code == "cross_year":
        return DomainError(
            _(
                "Application %(n)s: the halves are declared on %(a)s and %(b)s, in different calendar years; "
                "carry-overs are never matched across years."
            )
            % {"n": co.number, **f},
            code=code,
        )
    if code == "window":
        return DomainError(
            _(
                "Application %(n)s: the halves are declared %(d)d days apart (%(a)s … %(b)s); the halves of one "
                "pairing must be declared within %(w)d days."
            )
            % {"n": co.number, **f},
            code=code,
        )
    if code == "many_to_one":
        return DomainError(
            _(
                "Application %(n)s: %(s)d shipment list(s) against %(r)d receipt list(s); only one-to-one "
                "pairings are allowed."
            )
            % {"n": co.number, **f},
            code=code,
        )
    return DomainError(
        _(
            "Application %(n)s, item %(item)s: shipped %(s)s ≠ received %(r)s (difference %(d)s, unit %(u)s); "
            "the declared quantities of a pairing must be equal."
        )
        % {"n": co.number, "item": f"#{co.transferee_item.seq_no}", "u": co.unit, **f},
        code=code,
    )


def _side_aggregate(qs) -> dict:
    a = qs.aggregate(
        qty=Coalesce(Sum("qty"), Value(Decimal(0)), output_field=QTY_FIELD),
        lists=Count("inventory_list", distinct=True),
        first=Min("declaration_date"),
        last=Max("declaration_date"),
        n=Count("id"),
    )
    a["qty"] = q5(a["qty"])
    return a


@transaction.atomic
def match_halves(
    co: CarryOver, shipment_ids: Iterable[int], receipt_ids: Iterable[int], *, by=None
) -> CarryOverMatch:
    """Pair the chosen unmatched halves (at least one per side) of one application."""
    co = _lock(co)
    if co.state != CarryOverState.APPROVED:
        raise DomainError(
            _("Application %(n)s is %(s)s; only approved applications are matched.")
            % {"n": co.number, "s": CarryOverState(co.state).label},
            code="bad_state",
        )
    ship_ids, recv_ids = {int(i) for i in shipment_ids}, {int(i) for i in receipt_ids}
    if not ship_ids or not recv_ids:
        raise DomainError(
            _("A pairing of application %(n)s needs at least one shipment and one receipt.")
            % {"n": co.number},
            code="match_empty",
        )
    free = co.links.filter(match__isnull=True)
    ship_qs = free.filter(side=SHIP, pk__in=ship_ids)
    recv_qs = free.filter(side=RECV, pk__in=recv_ids)
    ship, recv = _side_aggregate(ship_qs), _side_aggregate(recv_qs)
    if ship["n"] != len(ship_ids) or recv["n"] != len(recv_ids):
        raise DomainError(
            _("Some of the chosen halves are not unmatched halves of application %(n)s on that side.")
            % {"n": co.number},
            code="match_foreign",
        )
    cfg = config()
    err = _pairing_errors(co, ship, recv, cfg)
    if err:
        raise err
    first = min(ship["first"], recv["first"])
    m = CarryOverMatch.objects.create(
        carry_over=co,
        period=month_of(first),
        shipped_qty=ship["qty"],
        received_qty=recv["qty"],
        difference=q5(ship["qty"] - recv["qty"]),
        shipment_lists=ship["lists"],
        receipt_lists=recv["lists"],
        first_date=first,
        last_date=max(ship["last"], recv["last"]),
        auto=False,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    CarryOverLink.objects.filter(pk__in=ship_ids | recv_ids).update(match=m, open_qty=0)
    _carry_residue([m])
    refresh_totals([co.pk])
    audit.record(
        m,
        code="ledger.carryover.matched",
        by=by,
        action="create",
        changes={
            "carry_over": co.number,
            "period": m.period,
            "shipped": m.shipped_qty,
            "received": m.received_qty,
            "difference": m.difference,
            "halves": sorted(ship_ids | recv_ids),
        },
    )
    return m


def _carry_residue(matches: list[CarryOverMatch]) -> None:
    """A partial pairing's residue stays open on the latest half of the side that has more (one UPDATE
    per partial pairing; pairings are equal unless PARTIAL is configured)."""
    for m in matches:
        if abs(m.difference) <= TOLERANCE:
            continue
        side = SHIP if m.difference > 0 else RECV
        last = (
            m.links.filter(side=side)
            .order_by("-declaration_date", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        if last:
            CarryOverLink.objects.filter(pk=last).update(open_qty=abs(m.difference))


@transaction.atomic
def auto_match(carry_overs=None, *, by=None) -> list[CarryOverMatch]:
    """Pair every (application, month) whose unmatched halves satisfy the rules, set-based.

    One aggregate query groups the unmatched halves of approved applications by (application, month);
    groups passing the rules become pairings (one bulk INSERT) and their halves are attached with one
    UPDATE.  Groups that fail stay in the queue (``matching_problems`` explains them).
    """
    cfg = config()
    qs = CarryOverLink.objects.filter(match__isnull=True, carry_over__state=CarryOverState.APPROVED)
    if carry_overs is not None:
        ids = [c.pk if hasattr(c, "pk") else int(c) for c in carry_overs]
        qs = qs.filter(carry_over_id__in=ids)
    groups = list(_groups(qs))
    if not groups:
        return []
    cos = {
        c.pk: c
        for c in CarryOver.objects.filter(pk__in={g["carry_over_id"] for g in groups}).select_related(
            "transferee_item"
        )
    }
    run = uuid.uuid4().hex
    new = []
    for g in groups:  # aggregated groups (one per application and month), not table rows
        ship, recv = _group_sides(g)
        if ship is None or recv is None or _pairing_errors(cos[g["carry_over_id"]], ship, recv, cfg):
            continue
        new.append(
            CarryOverMatch(
                carry_over_id=g["carry_over_id"],
                period=g["period"],
                shipped_qty=ship["qty"],
                received_qty=recv["qty"],
                difference=q5(ship["qty"] - recv["qty"]),
                shipment_lists=ship["lists"],
                receipt_lists=recv["lists"],
                first_date=g["first"],
                last_date=g["last"],
                auto=True,
                run=run,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
    if not new:
        return []
    CarryOverMatch.objects.bulk_create(new)
    made = list(
        CarryOverMatch.objects.filter(run=run).select_related(
            "carry_over__transferor_book__zone", "carry_over__transferee_book__zone"
        )
    )
    in_run = CarryOverMatch.objects.filter(
        run=run, carry_over_id=OuterRef("carry_over_id"), period=OuterRef("period")
    )
    CarryOverLink.objects.filter(
        match__isnull=True,
        carry_over_id__in={m.carry_over_id for m in made},
        period__in={m.period for m in made},
    ).filter(Exists(in_run)).update(match=Subquery(in_run.values("pk")[:1]), open_qty=0)
    _carry_residue(made)
    refresh_totals({m.carry_over_id for m in made})
    for m in made:
        audit.record(
            m,
            code="ledger.carryover.matched",
            by=by,
            action="create",
            changes={
                "carry_over": m.carry_over.number,
                "period": m.period,
                "shipped": m.shipped_qty,
                "received": m.received_qty,
                "difference": m.difference,
                "auto": True,
            },
        )
    return made


def _groups(qs):
    return (
        qs.values("carry_over_id", "period")
        .annotate(
            s_qty=Sum("qty", filter=Q(side=SHIP)),
            r_qty=Sum("qty", filter=Q(side=RECV)),
            s_lists=Count("inventory_list", filter=Q(side=SHIP), distinct=True),
            r_lists=Count("inventory_list", filter=Q(side=RECV), distinct=True),
            s_first=Min("declaration_date", filter=Q(side=SHIP)),
            s_last=Max("declaration_date", filter=Q(side=SHIP)),
            r_first=Min("declaration_date", filter=Q(side=RECV)),
            r_last=Max("declaration_date", filter=Q(side=RECV)),
            first=Min("declaration_date"),
            last=Max("declaration_date"),
        )
        .order_by("carry_over_id", "period")
    )


def _group_sides(g) -> tuple[dict | None, dict | None]:
    ship = recv = None
    if g["s_qty"]:
        ship = {"qty": q5(g["s_qty"]), "lists": g["s_lists"], "first": g["s_first"], "last": g["s_last"]}
    if g["r_qty"]:
        recv = {"qty": q5(g["r_qty"]), "lists": g["r_lists"], "first": g["r_first"], "last": g["r_last"]}
    return ship, recv


def matching_problems(co: CarryOver) -> list[dict]:
    """Per month of unmatched halves: the aggregates and why they are not paired automatically."""
    cfg = config()
    out = []
    for g in _groups(co.links.filter(match__isnull=True)):
        ship, recv = _group_sides(g)
        if ship is None:
            reason = _("no shipment (transfer-out list) yet")
        elif recv is None:
            reason = _("no receipt (transfer-in list) yet")
        else:
            err = _pairing_errors(co, ship, recv, cfg)
            reason = str(err.message) if err else _("ready to be matched")
        out.append(
            {
                "period": g["period"],
                "shipped": q5(g["s_qty"] or 0),
                "received": q5(g["r_qty"] or 0),
                "first": g["first"],
                "last": g["last"],
                "ready": ship is not None and recv is not None and reason == _("ready to be matched"),
                "reason": reason,
            }
        )
    return out


@transaction.atomic
def unmatch(match: CarryOverMatch, *, by=None) -> None:
    """Undo a pairing: its halves go back to the queue."""
    co = _lock(match.carry_over)
    if co.state != CarryOverState.APPROVED:
        raise DomainError(
            _("Application %(n)s is %(s)s; its pairings cannot be changed.")
            % {"n": co.number, "s": CarryOverState(co.state).label},
            code="bad_state",
        )
    snapshot = {
        "carry_over": co.number,
        "period": match.period,
        "shipped": match.shipped_qty,
        "received": match.received_qty,
    }
    audit.record(match, code="ledger.carryover.unmatched", by=by, action="delete", changes=snapshot)
    CarryOverLink.objects.filter(match=match).update(match=None, open_qty=F("qty"))
    match.delete()
    refresh_totals([co.pk])


def queue(user=None):
    """The matching queue (对碰队列): halves with an open quantity (unmatched, or the residue of a partial
    pairing) or over the plan, with their queue status; scoped to ``user`` when given."""
    qs = CarryOverLink.objects.all() if user is None else CarryOverLink.objects.for_user(user)
    return (
        qs.filter(carry_over__state__in=[CarryOverState.APPROVED, CarryOverState.CLOSED])
        .filter(Q(open_qty__gt=0) | Q(over_plan_qty__gt=0))
        .annotate(
            queue_status=Case(
                When(match__isnull=True, then=Value(QueueStatus.UNMATCHED.value)),
                When(open_qty__gt=0, then=Value(QueueStatus.PARTIAL.value)),
                default=Value(QueueStatus.OVER_PLAN.value),
            )
        )
    )


def period_summary(co: CarryOver) -> list[dict]:
    """Per month: shipped, received, matched and open quantities of the application (one query)."""
    rows = (
        co.links.values("period")
        .annotate(
            shipped=Sum("qty", filter=Q(side=SHIP)),
            received=Sum("qty", filter=Q(side=RECV)),
            matched_shipped=Sum("qty", filter=Q(side=SHIP, match__isnull=False)),
            matched_received=Sum("qty", filter=Q(side=RECV, match__isnull=False)),
            open_total=Sum("open_qty"),
            over_total=Sum("over_plan_qty"),
            oldest_open=Min("declaration_date", filter=Q(open_qty__gt=0)),
        )
        .order_by("period")
    )
    zero = Decimal(0)
    return [
        {
            "period": r["period"],
            "oldest_open": r["oldest_open"],
            **{
                k: q5(r[k] or zero)
                for k in (
                    "shipped",
                    "received",
                    "matched_shipped",
                    "matched_received",
                    "open_total",
                    "over_total",
                )
            },
        }
        for r in rows
    ]
