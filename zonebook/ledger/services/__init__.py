"""Ledger services: every write to ledger rows goes through these functions.

* ``books``: create_book, update_book, change_book_status, add_item, update_item, set_opening_balance
* ``consumption``: add_consumption, update_consumption, revise_consumption, versions_in_force
* ``posting`` (package: lines / lists / posting): create_inventory_list(s), update_inventory_list,
  submit_inventory_list, post_inventory_list (= approve_inventory_list), post_inventory_lists,
  post_lists, cancel_inventory_list, reverse_inventory_list, preview_posting, staged lists
* ``recompute``: recompute, check_balances, balances_as_of
* ``rules``: save_posting_rule (admin edits with audit)
* ``reference``: load_reference_data (fixtures: posting rules, mode/book kinds, HS codes)
"""

from .books import (
    add_item,
    add_items,
    change_book_status,
    create_book,
    set_opening_balance,
    update_book,
    update_item,
)
from .consumption import (
    add_consumption,
    add_consumptions,
    revise_consumption,
    update_consumption,
    versions_in_force,
)
from .posting import (
    BatchResult,
    KeyedLines,
    PostingResult,
    approve_inventory_list,
    cancel_inventory_list,
    create_inventory_list,
    create_inventory_lists,
    discard_staged_lists,
    post_inventory_list,
    post_inventory_lists,
    post_lists,
    preview_posting,
    publish_staged_lists,
    purge_stale_staged_lists,
    reverse_inventory_list,
    submit_inventory_list,
    update_inventory_list,
)
from .recompute import balances_as_of, check_balances, recompute

__all__ = [
    "BatchResult",
    "KeyedLines",
    "PostingResult",
    "create_inventory_lists",
    "discard_staged_lists",
    "publish_staged_lists",
    "purge_stale_staged_lists",
    "post_inventory_lists",
    "post_lists",
    "add_consumption",
    "add_consumptions",
    "add_item",
    "add_items",
    "approve_inventory_list",
    "balances_as_of",
    "cancel_inventory_list",
    "change_book_status",
    "check_balances",
    "create_book",
    "create_inventory_list",
    "post_inventory_list",
    "preview_posting",
    "recompute",
    "reverse_inventory_list",
    "revise_consumption",
    "set_opening_balance",
    "submit_inventory_list",
    "update_book",
    "update_consumption",
    "update_inventory_list",
    "update_item",
    "versions_in_force",
]
