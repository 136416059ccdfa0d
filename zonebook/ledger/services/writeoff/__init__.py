"""Write-off (报核/核销) services, by topic:

* ``cycle``: the closed-cycle lock, create a cycle and freeze its lists, compute, move through the
  states (draft → pre_check (预报核) → submitted → accepted → closed), the report of a cycle;
* ``stocktake``: read and import the stocktake (盘点), all or nothing;
* ``cases``: difference cases (差异) with provenance and proposal (§6.4), their resolution.

Every write records an audit entry in the same transaction.  ``zonebook.ledger.services.writeoff``
exports the same names as before the split (callers import them from here).
"""

from .cases import PROVENANCE_LISTS, open_case_numbers, resolve_case
from .cycle import (
    change_writeoff_state,
    check_cycle_open,
    check_list_unlocked,
    closed_cycle_on,
    compute_writeoff,
    create_writeoff,
    default_threshold,
    lists_posted_since,
    locked_writeoffs,
    report_for_cycle,
)
from .stocktake import (
    HEADER_ALIASES,
    KIND_ALIASES,
    MATERIAL_STOCK,
    MAX_STOCKTAKE_ERRORS,
    PRODUCT_STOCK,
    STOCK_COLUMNS,
    import_stocktake,
    read_stocktake_file,
)

__all__ = [
    "HEADER_ALIASES",
    "KIND_ALIASES",
    "MATERIAL_STOCK",
    "MAX_STOCKTAKE_ERRORS",
    "PRODUCT_STOCK",
    "PROVENANCE_LISTS",
    "STOCK_COLUMNS",
    "change_writeoff_state",
    "check_cycle_open",
    "check_list_unlocked",
    "closed_cycle_on",
    "compute_writeoff",
    "create_writeoff",
    "default_threshold",
    "import_stocktake",
    "lists_posted_since",
    "locked_writeoffs",
    "open_case_numbers",
    "read_stocktake_file",
    "report_for_cycle",
    "resolve_case",
]
