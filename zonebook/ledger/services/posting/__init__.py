"""Inventory-list (核注清单) services, in three modules along their seams:

* ``lines``: validate raw lines and build the rows to write (the line specification is
  ``ledger/lines.py``), write them with ``COPY``, merge an edited grid with the stored lines;
* ``lists``: create (one or a batch), update, submit, cancel; staged lists of a large import;
* ``posting``: post (one list or a batch: ONE engine), reverse, preview;
* ``checks``: the header checks (book open, mode allowed, one posting rule) all three use.

``zonebook.ledger.services`` re-exports the public names.
"""

from ...lines import LINE_COLUMNS, LINE_FIELDS
from .checks import check_book_accepts, check_mode_allowed, find_rule, negative_policy
from .lines import ITEM_DERIVED, KeyedLines, LineContext, line_context, merge_lines
from .lists import (
    ACTIONS,
    HEADER_FIELDS,
    BatchResult,
    cancel_inventory_list,
    clean_header,
    create_inventory_list,
    create_inventory_lists,
    discard_staged_lists,
    publish_staged_lists,
    purge_stale_staged_lists,
    submit_inventory_list,
    update_inventory_list,
)
from .posting import (
    PostingResult,
    approve_inventory_list,
    post_inventory_list,
    post_inventory_lists,
    post_lists,
    preview_posting,
    reverse_inventory_list,
)

__all__ = [
    "ACTIONS",
    "HEADER_FIELDS",
    "ITEM_DERIVED",
    "LINE_COLUMNS",
    "LINE_FIELDS",
    "BatchResult",
    "KeyedLines",
    "LineContext",
    "PostingResult",
    "approve_inventory_list",
    "cancel_inventory_list",
    "check_book_accepts",
    "check_mode_allowed",
    "clean_header",
    "create_inventory_list",
    "create_inventory_lists",
    "discard_staged_lists",
    "find_rule",
    "line_context",
    "merge_lines",
    "negative_policy",
    "post_inventory_list",
    "post_inventory_lists",
    "post_lists",
    "preview_posting",
    "publish_staged_lists",
    "purge_stale_staged_lists",
    "reverse_inventory_list",
    "submit_inventory_list",
    "update_inventory_list",
]
