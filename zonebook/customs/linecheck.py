"""Set-based checks of the INV101 lines of one import batch, in SQL over the staged lines.

The lines of every message of a batch go into one temporary table (``COPY`` on PostgreSQL,
``executemany`` on SQLite) as the message wrote them (text), then ONE query joins them with the
book items (``putrecSeqno`` must name an item of the message's book and item kind; ``dclUnitcd``
must be the unit filed for it) and the unit code table (``dclUnitcd``, ``lawfUnitcd``,
``secdLawfUnitcd``), and checks the required elements and the number formats (quantities 5
decimal places, unit price 4, amount 2, line numbers positive integers).  Only the lines with a
problem come back to Python, which names the message, the line and the element.

Python never looks at a line one by one here; the ledger's own checks (HS code, part no,
consumption versions, posting rules) run afterwards in ``ledger.services.create_inventory_lists``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from zonebook.ledger.models import BookItem
from zonebook.registry.models.codes import UNIT_TABLE, Code, CodeTable, unit_codes

TABLE = "customs_stage_line"
# (column, element) staged per line, in order; all text as the message wrote it
STAGED = (
    ("gds", "gdsSeqno"),
    ("seq", "putrecSeqno"),
    ("hs", "gdecd"),
    ("qty", "dclQty"),
    ("lqty", "lawfQty"),
    ("lqty2", "secdLawfQty"),
    ("price", "dclUprcAmt"),
    ("amount", "dclTotalAmt"),
    ("unit", "dclUnitcd"),
    ("unit1", "lawfUnitcd"),
    ("unit2", "secdLawfUnitcd"),
)
ELEMENTS = [e for _c, e in STAGED]  # ``_stage`` writes them in this order (PostgreSQL: spelled out)
REQUIRED = ("gdsSeqno", "putrecSeqno", "gdecd", "dclQty", "dclUnitcd")
# element → (integer digits, decimal places, sign allowed) of the number it must hold
NUMBERS = {
    "dclQty": (15, 5, True),  # ≤ 0 is named by the ledger ("must be greater than zero")
    "lawfQty": (15, 5, True),
    "secdLawfQty": (15, 5, True),
    "dclUprcAmt": (14, 4, False),
    "dclTotalAmt": (16, 2, False),
}
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass
class Problem:
    batch_row: int  # index of the message in the batch
    line: int  # 1-based position of the line in its message
    element: str
    value: str
    code: str  # required | number | digits | no_item | unit_table | unit_filed
    filed_unit: str = ""


def _pattern(element: str) -> str:
    digits, places, sign = NUMBERS[element]
    return f"^{'-?' if sign else ''}[0-9]{{1,{digits}}}([.][0-9]{{0,{places}}})?$"


def _matches(column: str, pattern: str) -> str:
    if connection.vendor == "postgresql":
        return f"{column} ~ '{pattern}'"
    return f"{column} REGEXP '{pattern}'"  # Django registers REGEXP on SQLite


def _as_int(column: str) -> str:
    digits = _matches(column, "^[0-9]{1,9}$")
    return f"CASE WHEN {digits} THEN CAST({column} AS INTEGER) END"


def _create(cur) -> None:
    cols = ", ".join(f"{c} TEXT NOT NULL" for c, _e in STAGED)
    cur.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {TABLE} "
        f"(r INTEGER NOT NULL, n INTEGER NOT NULL, book_id INTEGER NOT NULL, kind TEXT NOT NULL, {cols})"
    )
    cur.execute(f"DELETE FROM {TABLE}")


def _number(element: str) -> str:
    return _pattern(element)[1:-1].replace("[.]", "\\.")


# One staged line of a message whose number elements are all well formed (``gdsSeqno`` and
# ``putrecSeqno`` whole numbers, quantities/price/amount in their formats; the required ones
# present).  A message's whole block is matched by ONE C-level regular expression; only the
# messages that fail it get the per-element format checks in SQL.
_ANY = "[^\t\n]*"
_CLEAN_LINE = (
    "[0-9]+\t[0-9]+\t[0-9]+\t[a-z]+\t"
    "0*[1-9][0-9]{0,8}\t[0-9]{1,9}\t" + _ANY + "\t"
    f"{_number('dclQty')}\t(?:{_number('lawfQty')})?\t(?:{_number('secdLawfQty')})?\t"
    f"(?:{_number('dclUprcAmt')})?\t(?:{_number('dclTotalAmt')})?\t"
    f"{_ANY}\t{_ANY}\t{_ANY}\n"
)
_CLEAN_BLOCK = re.compile(f"(?:{_CLEAN_LINE})*")


def _block(r: int, book_id: int, kind: str, lines: list[dict]) -> str:
    """The COPY text of a message's lines (``STAGED`` order), escaped where a value needs it."""
    tail = f"\t{book_id}\t{kind}\t"
    block = "".join(
        [
            f"{r}\t{n}{tail}{get('gdsSeqno', '')}\t{get('putrecSeqno', '')}\t{get('gdecd', '')}\t"
            f"{get('dclQty', '')}\t{get('lawfQty', '')}\t{get('secdLawfQty', '')}\t"
            f"{get('dclUprcAmt', '')}\t{get('dclTotalAmt', '')}\t{get('dclUnitcd', '')}\t"
            f"{get('lawfUnitcd', '')}\t{get('secdLawfUnitcd', '')}\n"
            for n, get in enumerate((line.get for line in lines), start=1)
        ]
    )
    # one C-level test per message: a value holding a tab, newline or backslash is escaped
    if (
        "\\" in block
        or "\r" in block
        or block.count("\t") != (3 + len(STAGED)) * len(lines)
        or block.count("\n") != len(lines)
    ):
        block = "".join(
            "\t".join(
                [str(r), str(n), str(book_id), kind]
                + [line.get(e, "").translate(_COPY_ESCAPES) for e in ELEMENTS]
            )
            + "\n"
            for n, line in enumerate(lines, start=1)
        )
    return block


def _stage(cur, messages: Sequence[tuple[int, int, str, list[dict]]]) -> set[int]:
    """Write the lines of ``messages`` — (batch row, book id, item kind, lines as element dicts) —
    into the staged table; returns the batch rows whose number elements need a closer look."""
    names = ["r", "n", "book_id", "kind", *(c for c, _e in STAGED)]
    flagged: set[int] = set()
    blocks = []
    for r, book_id, kind, lines in messages:
        block = _block(r, book_id, kind, lines)
        if _CLEAN_BLOCK.fullmatch(block) is None:
            flagged.add(r)
        blocks.append(block)
    if connection.vendor == "postgresql":
        with cur.cursor.copy(f"COPY {TABLE} ({', '.join(names)}) FROM STDIN") as copy:
            copy.write("".join(blocks))
        return flagged
    rows = [
        (r, n, book_id, kind, *(line.get(e, "") for e in ELEMENTS))
        for r, book_id, kind, lines in messages
        for n, line in enumerate(lines, start=1)
    ]
    cur.executemany(
        f"INSERT INTO {TABLE} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})", rows
    )
    return flagged


def summary(lines: list[dict]) -> str | None:
    """What ``_all_clean`` needs of one message's lines, computed where the message is parsed (the
    import's parse processes): None when its block fails the format expression (``_CLEAN_BLOCK``),
    else its distinct (item number, unit, first and second legal unit, HS code given), as one text
    (combinations joined by \\x1e, their fields by \\x1f: control characters XML 1.0 allows in no
    text; one string crosses between processes far cheaper than a set of tuples)."""
    if _CLEAN_BLOCK.fullmatch(_block(0, 0, "x", lines)) is None:
        return None
    return "\x1e".join(
        {
            f"{int(g('putrecSeqno'))}\x1f{g('dclUnitcd', '')}\x1f{g('lawfUnitcd', '')}\x1f"
            f"{g('secdLawfUnitcd', '')}\x1f{'1' if g('gdecd') else ''}"
            for g in (line.get for line in lines)
        }
    )


def _combos(texts: set[str]) -> set[tuple]:
    """The (item number, unit, unit 1, unit 2, HS code given) of distinct ``summary`` combinations."""
    out = set()
    for text in texts:
        seq, unit, u1, u2, hs = text.split("\x1f")
        out.add((int(seq), unit, u1, u2, bool(hs)))
    return out


NOT_COMPUTED = object()  # a message whose ``summary`` was not computed where it was parsed


def _all_clean(messages: Sequence[tuple[int, int, str, list[dict]]], summaries: Sequence | None = None) -> bool:
    """True when no line of ``messages`` has a problem the query below would report, decided without
    writing the lines anywhere: every message's block passes the format expression (``_CLEAN_BLOCK``:
    the numbers and the required line number, item number and quantity), and each distinct (book,
    kind, item number, units, HS code given) of the lines names an item of the book with that unit
    (or none filed) and units of the code table — one query for the items, one for the unit table.
    False as soon as anything is doubtful: the query then names every problem.  ``summaries``: each
    message's ``summary`` where it was computed already (``NOT_COMPUTED`` or absent: computed here)."""
    texts: dict[tuple[int, str], set] = {}  # (book, kind) → the distinct combinations of its lines
    for k, (_r, book_id, kind, lines) in enumerate(messages):
        text = summaries[k] if summaries is not None else NOT_COMPUTED
        if text is NOT_COMPUTED:
            text = summary(lines)
        if text is None:
            return False
        texts.setdefault((book_id, kind), set()).update(text.split("\x1e"))
    groups = {key: _combos(found) for key, found in texts.items()}
    units = unit_codes()
    for combos in groups.values():
        if not all(unit and hs for _seq, unit, _u1, _u2, hs in combos):  # a unit or an HS code missing
            return False
        if not all(
            unit in units and (not u1 or u1 in units) and (not u2 or u2 in units)
            for _seq, unit, u1, u2, _hs in combos
        ):
            return False
    wanted = {(b, k, seq) for (b, k), combos in groups.items() for seq, *_rest in combos}
    filed = {
        (b, k, seq): unit
        for b, k, seq, unit in BookItem.objects.filter(
            book_id__in={b for b, _k, _s in wanted}, seq_no__in={s for _b, _k, s in wanted}
        ).values_list("book_id", "kind", "seq_no", "unit")
    }
    for (b, k), combos in groups.items():
        for seq, unit, *_rest in combos:
            have = filed.get((b, k, seq))
            if have is None or (have and have != unit):
                return False
    return True


def problems(messages: Sequence[tuple[int, int, str, list[dict]]], summaries: Sequence | None = None) -> list[Problem]:
    """The problems of the staged lines, in (message, line) order.  A batch without any
    (``_all_clean``, the usual case; ``summaries`` as there) is not staged at all."""
    if not messages or _all_clean(messages, summaries):
        return []
    items = BookItem._meta.db_table
    codes, tables = Code._meta.db_table, CodeTable._meta.db_table
    checks = []  # (code, element, SQL condition that flags the line)
    for element in REQUIRED:
        checks.append(("required", element, f"s.{_col(element)} = ''"))
    checks.append(("digits", "gdsSeqno", f"s.gds <> '' AND NOT ({_matches('s.gds', '^0*[1-9][0-9]{0,8}$')})"))
    checks.append(("no_item", "putrecSeqno", "s.seq <> '' AND i.id IS NULL"))
    for element in NUMBERS:
        col = f"s.{_col(element)}"
        checks.append(("number", element, f"{col} <> '' AND NOT ({_matches(col, _pattern(element))})"))
    for element, alias in (("dclUnitcd", "u0"), ("lawfUnitcd", "u1"), ("secdLawfUnitcd", "u2")):
        checks.append(("unit_table", element, f"s.{_col(element)} <> '' AND {alias}.id IS NULL"))
    checks.append(
        (
            "unit_filed",
            "dclUnitcd",
            "s.unit <> '' AND u0.id IS NOT NULL AND i.unit <> '' AND i.unit <> s.unit",
        )
    )
    flags = ", ".join(f"CASE WHEN {cond} THEN 1 ELSE 0 END" for _code, _e, cond in checks)
    cheap = [cond for code, _e, cond in checks if code not in ("digits", "number")]
    careful = [cond for code, _e, cond in checks if code in ("digits", "number")]

    def unit_join(alias: str, col: str) -> str:
        return f"LEFT JOIN {codes} {alias} ON {alias}.table_id = t.id AND {alias}.code = s.{col}"

    def sql(flagged: set[int]) -> str:
        # The lines of a message that passed the format test need only the joins and the required
        # elements; the others are also checked element by element (and their putrecSeqno cast
        # only when it is a number).
        if flagged:
            listed = f"s.r IN ({', '.join(str(int(r)) for r in sorted(flagged))})"
            seq = f"CASE WHEN {listed} THEN {_as_int('s.seq')} ELSE CAST(s.seq AS INTEGER) END"
            where = " OR ".join([*(f"({c})" for c in cheap), f"({listed} AND ({' OR '.join(careful)}))"])
        else:
            seq = "CAST(s.seq AS INTEGER)"
            where = " OR ".join(f"({c})" for c in cheap)
        return (
            f"SELECT s.r, s.n, {', '.join('s.' + c for c, _e in STAGED)}, COALESCE(i.unit, ''), {flags} "
            f"FROM {TABLE} s LEFT JOIN (SELECT id FROM {tables} WHERE key = %s) t ON 1 = 1 "
            f"LEFT JOIN {items} i ON i.book_id = s.book_id AND i.kind = s.kind AND i.seq_no = {seq} "
            f"{unit_join('u0', 'unit')} {unit_join('u1', 'unit1')} {unit_join('u2', 'unit2')} "
            f"WHERE {where} ORDER BY s.r, s.n"
        )

    out: list[Problem] = []
    with connection.cursor() as cur:
        _create(cur)
        flagged = _stage(cur, messages)
        cur.execute(sql(flagged), [UNIT_TABLE])
        width = len(STAGED)
        for rec in cur.fetchall():
            r, n = rec[0], rec[1]
            values = dict(zip(ELEMENTS, rec[2 : 2 + width], strict=True))
            filed = rec[2 + width]
            for (code, element, _cond), flag in zip(checks, rec[3 + width :], strict=True):
                if flag:
                    out.append(Problem(r, n, element, values[element], code, filed))
        cur.execute(f"DELETE FROM {TABLE}")
    return out


def _col(element: str) -> str:
    for c, e in STAGED:
        if e == element:
            return c
    raise KeyError(element)
