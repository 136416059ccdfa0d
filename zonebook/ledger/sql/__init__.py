"""Set-based SQL of the ledger (runs on SQLite ≥ 3.35 and PostgreSQL ≥ 15).

Every posting effect is derived from one *movements* query (a UNION ALL of the direct lines and of
the product lines exploded through their consumption version) which a *pivot* folds into one row
per item with one value per balance column.  The same pivot serves:

* ``post``: ``UPDATE ledger_balance … FROM (pivot of one list)`` — one statement per list;
* ``recompute``: ``UPDATE ledger_balance … FROM (items LEFT JOIN pivot of all posted lines)``;
* ``check``: the same "full" query LEFT JOINed with the stored balances;
* the as-of report: the full query restricted by declaration date.

Quantities: each exploded (line, material) amount is rounded to 5 dp (ROUND half away from zero,
= ROUND_HALF_UP) before summing, exactly like ``calc.explode``.  On SQLite DECIMAL columns are
floating point: results are rounded to 5 dp when written and compared with a 0.000005 tolerance.
See docs/ledger.md.
"""

from .balances import *  # noqa: F403
from .balances import _full_work_mem, _posted_where  # noqa: F401
from .movements import *  # noqa: F403
from .movements import _date, _dec, _from, _in_clause, _signed_sum  # noqa: F401
from .posting import *  # noqa: F403
from .posting import _apply, _list_where  # noqa: F401
