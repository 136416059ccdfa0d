"""Import kinds of the ledger (see ``core.imports``), one module per kind: books, items, consumption,
inventory lists, opening balances, tax rates, carry-over applications (base: ``base.py``).

Every row is written through the ledger services (which validate against the book and the code
tables and record audit entries).  To report every bad row before anything is written, ``validate``
runs the same writes inside a savepoint that is always rolled back (each row or list in its own
nested savepoint, so one bad row does not hide the next); ``write`` then repeats them for real inside
the pipeline's transaction.  A file is therefore imported completely or not at all, and every error
names the spreadsheet row, the column (as headed in the file) and the reason.

Inventory lists come in one sheet: the header fields are repeated on every line and the rows are
grouped by list number (the rows of one list need not be adjacent).  The lists of one book and
action go to the batch service ``services.create_inventory_lists`` (about ``CHUNK_LINES`` lines
per call, in declaration-date order): one COPY of their lines, and with "submit and post" one
set-based posting whose negative-balance check runs list by list in date order.

The list import is *staged* (``core/imports/staging.py``): when the file is written for real, its
lists go to the database in committed chunks of ``STAGE_LINES`` lines in the hidden state
``ListState.IMPORTING`` (no posting, no audit entry yet), so other writers are never locked out for
the length of the import; ``publish`` then makes them drafts, submitted or posted lists of every
book in one transaction (posting all lists of a book together, in declaration-date order), and
``discard`` deletes them when anything failed.
"""

from .base import LedgerImport
from .books import BookImport
from .consumption import ConsumptionImport
from .items import ITEM_COLUMNS, BookItemImport
from .lists import (
    ACTION_ALIASES,
    CHUNK_LINES,
    LIST_HEADER,
    LIST_LINE,
    STAGE_LINES,
    InventoryListImport,
    ListAction,
)
from .opening import OpeningBalanceImport
from .rates import TaxRateImport

__all__ = [
    "ACTION_ALIASES",
    "CHUNK_LINES",
    "ITEM_COLUMNS",
    "LIST_HEADER",
    "LIST_LINE",
    "STAGE_LINES",
    "BookImport",
    "BookItemImport",
    "ConsumptionImport",
    "InventoryListImport",
    "LedgerImport",
    "ListAction",
    "OpeningBalanceImport",
    "TaxRateImport",
]

# carry-over applications (深加工结转申报表), registered after the others
from . import carryover  # noqa: E402, F401
