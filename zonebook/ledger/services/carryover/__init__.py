"""Deep-processing carry-over (深加工结转) services, by topic:

* ``parties``: configuration, shared helpers, who may see and do what on each side;
* ``applications``: numbering, HS/unit checks, create an application, its states, stored totals;
* ``links``: link posted lists as shipments and receipts (halves), unlink them;
* ``matching``: the pairing rules (对碰), pairing by hand or automatically, undo, queue, summary.

The matching rules (domain doc §7) are enforced with a ``DomainError`` whose code names the rule
(``book_mismatch``, ``hs_mismatch``, ``unit_mismatch``, ``qty_mismatch``, ``cross_year``, ``window``,
``many_to_one``, ``over_plan``).  Every write records an audit entry in the same transaction.
``zonebook.ledger.services.carryover`` exports the same names as before the split (operations imports
``pairing_rule`` and ``hs8_equal`` from here).
"""

from .applications import (
    application_unit,
    change_carryover_state,
    create_carryover,
    hs8_equal,
    hs8_error,
    may_approve,
    next_number,
    refresh_totals,
)
from .links import check_list_not_linked, link_list, unlink_list
from .matching import (
    auto_match,
    match_halves,
    matching_problems,
    pairing_rule,
    period_summary,
    queue,
    unmatch,
)
from .parties import (
    DEFAULTS,
    QTY_FIELD,
    RECV,
    SHIP,
    SIDES,
    TOLERANCE,
    config,
    counterpart_error,
    may_write,
    month_of,
    not_yours_error,
    own_sides,
    resolve_parties,
    unrestricted,
    with_party_details,
)

__all__ = [
    "DEFAULTS",
    "QTY_FIELD",
    "RECV",
    "SHIP",
    "SIDES",
    "TOLERANCE",
    "application_unit",
    "auto_match",
    "change_carryover_state",
    "check_list_not_linked",
    "config",
    "counterpart_error",
    "create_carryover",
    "hs8_equal",
    "hs8_error",
    "link_list",
    "match_halves",
    "matching_problems",
    "may_approve",
    "may_write",
    "month_of",
    "next_number",
    "not_yours_error",
    "own_sides",
    "pairing_rule",
    "period_summary",
    "queue",
    "refresh_totals",
    "resolve_parties",
    "unlink_list",
    "unmatch",
    "unrestricted",
    "with_party_details",
]
