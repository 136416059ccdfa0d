"""Vectorised exact integer helpers shared by the numpy engines (``stats.engine``, ``ledger.engine``).

* ``round_div``: an integer division rounded half away from zero (PostgreSQL's ``ROUND``);
* ``read_columns``: integer columns of a query as numpy arrays, read in one row of ``string_agg``
  binary aggregates (no per-row handling on either side);
* ``BinaryCopy`` / ``copy_in``: rows for ``COPY … FROM STDIN (FORMAT binary)`` encoded by numpy.

Moved from ``stats.engine`` unchanged (docs/stats.md describes their use there).
"""

from __future__ import annotations

import time

import numpy as np


def round_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` rounded half away from zero (PostgreSQL's ``ROUND`` on numeric), exactly, for any
    signs (``den`` ≠ 0)."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    sign = np.sign(num) * np.sign(den)
    n, d = np.abs(num), np.abs(den)
    q, r = np.divmod(n, d)
    q += (2 * r >= d)  # r < d ≤ LIMIT-sized, so 2r does not overflow
    return sign * q


# -- reading -------------------------------------------------------------------------------------------------

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # binary COPY: signature, flags, header extension length
TRAILER = b"\xff\xff"

_SEND = {">i2": "int2send", ">i4": "int4send", ">i8": "int8send"}


def read_columns(cur, source: str, columns: list[tuple[str, str, str]], params=None) -> dict[str, np.ndarray]:
    """Integer columns of ``source`` (a FROM … WHERE clause) as numpy arrays: one row of one ``bytea``
    per column (``string_agg`` of the values' binary send form, received in binary), so that
    neither side handles rows one by one.  ``columns``: name, NOT NULL SQL expression, big-endian type
    (``>i2``/``>i4``/``>i8``).  The aggregates of one query read the rows in the same order."""
    aggs = ", ".join(f"string_agg({_SEND[typ]}({expr}), ''::bytea)" for _name, expr, typ in columns)
    import psycopg

    with psycopg.Cursor(cur.connection) as binary:  # server-side binding: results in binary
        binary.execute(f"SELECT {aggs} {source}", params, binary=True)
        row = binary.fetchone()
    return {name: np.frombuffer(data or b"", dtype=typ).astype(typ.replace(">", "<"))
            for (name, _expr, typ), data in zip(columns, row, strict=True)}


# -- writing -------------------------------------------------------------------------------------------------

PG_EPOCH_DAYS = int((np.datetime64("2000-01-01", "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))


class BinaryCopy:
    """Rows for ``COPY … FROM STDIN (FORMAT binary)`` built with numpy, without a loop over rows.

    A row's byte layout depends only on which of its fields are NULL and on the length of its text
    fields (each text column takes its values from a short list of choices), so the rows are grouped
    by layout: each group is one fixed-width numpy structured array, filled column by column and
    written with ``tobytes``.  The order of the rows in the COPY stream does not matter."""

    def __init__(self, n: int):
        self.n = n
        self.columns: list[dict] = []

    def _add(self, kind, data, null=None, **extra):
        null = np.zeros(self.n, bool) if null is None else np.asarray(null, bool)
        self.columns.append(dict(kind=kind, data=data, null=null, **extra))

    def int8(self, data, null=None):
        self._add(">i8", np.asarray(data, np.int64), null)

    def int4(self, data, null=None):
        self._add(">i4", np.asarray(data, np.int64), null)

    def date_of_ym(self, ym):
        """``period``: the first day of month ``ym`` (year × 12 + month − 1)."""
        months = np.asarray(ym, dtype=np.int64) - 1970 * 12
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - PG_EPOCH_DAYS
        self._add(">i4", days)

    def numeric(self, scaled, dscale: int, null=None):
        """A numeric from integers scaled by 10^``dscale``, as a fixed number of base-10000 digits (five
        before the point: 10000⁵ > 2⁶³); PostgreSQL strips the zero digits on receipt."""
        scaled = np.asarray(scaled, dtype=np.int64)
        frac_digits = -(-dscale // 4)
        pad = 10 ** (frac_digits * 4 - dscale)
        rest = np.abs(scaled).astype(np.uint64) * np.uint64(pad)
        ndig = 5 + frac_digits
        digits = np.empty((self.n, ndig), dtype=np.int16)
        for k in range(ndig - 1, -1, -1):
            rest, digits[:, k] = np.divmod(rest, np.uint64(10000))
        sign = np.where(scaled < 0, 0x4000, 0).astype(np.uint16)
        self._add("numeric", digits, null, sign=sign, dscale=dscale)

    def text(self, codes, choices: list[str]):
        """A text column whose value is ``choices[code]``."""
        self._add("text", np.asarray(codes, np.int64), None, choices=[c.encode() for c in choices])

    def _dtype(self, layout) -> np.dtype:
        fields = [("nfields", ">i2")]
        for k, (col, part) in enumerate(zip(self.columns, layout, strict=True)):
            fields.append((f"l{k}", ">i4"))
            if col["kind"] == "text":
                fields.append((f"v{k}", f"S{len(col['choices'][part])}"))
            elif part:  # NULL: the length word only
                continue
            elif col["kind"] == "numeric":
                fields.append((f"v{k}", [("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"), ("dscale", ">i2"),
                                         ("d", ">i2", (col["data"].shape[1],))]))
            else:
                fields.append((f"v{k}", col["kind"]))
        return np.dtype(fields)

    def tobytes(self) -> bytes:
        return b"".join(self.chunks())

    def chunks(self, rows_per_chunk: int = 50_000, framed: bool = True):
        """The COPY stream in pieces (header, groups of rows, trailer; without header and trailer when
        not ``framed``), so that the database ingests one piece while the next is encoded."""
        # a layout: per column, its text choice or whether it is NULL
        parts = [col["data"] if col["kind"] == "text" else col["null"].astype(np.int64) for col in self.columns]
        layout_id = np.zeros(self.n, np.int64)
        for part, col in zip(parts, self.columns, strict=True):
            layout_id = layout_id * (len(col["choices"]) if col["kind"] == "text" else 2) + part
        if framed:
            yield HEADER
        order = np.argsort(layout_id, kind="stable")
        ids = layout_id[order]
        bounds = np.flatnonzero(np.diff(ids)) + 1
        pieces = [rows[k:k + rows_per_chunk] for rows in (np.split(order, bounds) if self.n else [])
                  for k in range(0, len(rows), rows_per_chunk)]
        for rows in pieces:
            first = rows[0]
            layout = [int(part[first]) for part in parts]
            rec = np.empty(len(rows), dtype=self._dtype(layout))
            rec["nfields"] = len(self.columns)
            for k, (col, part) in enumerate(zip(self.columns, layout, strict=True)):
                if col["kind"] == "text":
                    rec[f"l{k}"] = len(col["choices"][part])
                    rec[f"v{k}"] = col["choices"][part]
                elif part:
                    rec[f"l{k}"] = -1
                elif col["kind"] == "numeric":
                    ndig = col["data"].shape[1]
                    rec[f"l{k}"] = 8 + 2 * ndig
                    v = rec[f"v{k}"]
                    v["ndigits"], v["weight"], v["dscale"] = ndig, 4, col["dscale"]
                    v["sign"] = col["sign"][rows]
                    v["d"] = col["data"][rows]
                else:
                    rec[f"l{k}"] = np.dtype(col["kind"]).itemsize
                    rec[f"v{k}"] = col["data"][rows]
            yield rec.tobytes()
        if framed:
            yield TRAILER


def copy_in(cur, table: str, columns: str, chunks, options: str = "") -> None:
    """``COPY table (columns) FROM STDIN (FORMAT binary{options})`` of a ``BinaryCopy``'s chunks."""
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT binary{options})") as copy:
        for chunk in chunks:
            copy.write(chunk)



def update_rows(cur, table: str, ids, columns: dict[str, tuple[str, list]]) -> int:
    """Set different values on many rows in one statement: ``columns`` = {column: (PostgreSQL type,
    values)}, one value per id.  PostgreSQL: ``UPDATE … FROM unnest(arrays)`` (Django's
    ``bulk_update`` writes a CASE per row and column: 0.5 s for 2,000 rows); SQLite: one
    ``executemany``.  Returns the number of rows updated."""
    from django.db import connection

    ids = list(ids)
    if not ids:
        return 0
    names = list(columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{columns[c][0]}[]" for c in names)
        sets = ", ".join(f"{c} = v.{c}" for c in names)
        cur.execute(
            f"UPDATE {table} t SET {sets} FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(names)}) "  # noqa: S608
            "WHERE t.id = v.id",
            [ids, *(list(columns[c][1]) for c in names)],
        )
        return cur.rowcount
    sets = ", ".join(f"{c} = %s" for c in names)
    cur.executemany(
        f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
        list(zip(*(columns[c][1] for c in names), ids, strict=True)),
    )
    return len(ids)


def _plain_field_types() -> set:
    from django.db import models

    return {
        models.AutoField,
        models.BigAutoField,
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.BooleanField,
        models.DateField,
        models.DateTimeField,
        models.DecimalField,
        models.ForeignKey,
        models.GenericIPAddressField,
    }


def copy_create(model, objs: list, *, keys: bool = True) -> list:
    """Insert new model instances like ``bulk_create`` (no signals, no ``save()``), on PostgreSQL by
    one ``COPY``: Django's bulk INSERT compiles a placeholder per field and row and spends ~100 µs a
    row in Python for a wide model; here each value is prepared once (``get_db_prep_save``, what the
    INSERT would send) and written by ``write_row``.  ``keys``: the primary keys are reserved first
    from the table's sequence and set on the objects (``bulk_create`` sets them too); without, the
    rows are numbered by the database and the objects keep no key.  ``auto_now``/``auto_now_add``
    fields are filled as ``save`` would.  Elsewhere: ``bulk_create``.  Returns ``objs``."""
    from django.db import connection
    from django.utils import timezone

    objs = list(objs)
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000)
        return objs
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False) and (keys or f is not pk)]
    now = timezone.now()
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    with connection.cursor() as cur:
        if keys:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(objs)],
            )
            for obj, (key,) in zip(objs, cur.fetchall(), strict=True):
                setattr(obj, pk.attname, key)
        for obj in objs:
            for f in stamped:
                if getattr(obj, f.attname) is None or f.auto_now:
                    setattr(obj, f.attname, now)
        # values psycopg writes as they are (what ``get_db_prep_save`` returns for them on PostgreSQL);
        # the others (JSON…) prepared by their field
        plain = [type(f) in _plain_field_types() for f in fields]
        names = [f.attname for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
        started = time.monotonic()
        with cur.cursor.copy(statement) as copy:
            if all(plain):
                for obj in objs:
                    copy.write_row([getattr(obj, n) for n in names])
            else:
                prep = [None if p else f.get_db_prep_save for f, p in zip(fields, plain, strict=True)]
                for obj in objs:
                    copy.write_row(
                        [
                            getattr(obj, n) if p is None else p(getattr(obj, n), connection)
                            for n, p in zip(names, prep, strict=True)
                        ]
                    )
        if connection.queries_logged:  # (psycopg's COPY bypasses Django's query log: counted like an INSERT)
            connection.queries_log.append(
                {"sql": f"{statement} -- {len(objs)} rows", "time": f"{time.monotonic() - started:.3f}"}
            )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


# -- a second reader on the same snapshot ----------------------------------------------------------------


class SideReader:
    """A second PostgreSQL connection reading in the same snapshot as ``cur``'s transaction, so that
    two large reads (each a serial ``string_agg`` pass on the server) run on two cores at once.

    ``cur``'s transaction must be REPEATABLE READ (or SERIALIZABLE) and hold no writes of its own
    (the second connection sees only committed data): the caller's outermost transaction, started by
    the caller for the reads.  The snapshot is exported with ``pg_export_snapshot()`` and imported by
    ``SET TRANSACTION SNAPSHOT`` in the side connection's own REPEATABLE READ transaction, read-only.
    ``submit(fn, *args)`` runs ``fn(side_cursor, *args)`` in a thread; ``close`` ends the side
    transaction and connection (also on errors: use it as a context manager)."""

    def __init__(self, cur, snapshot: str | None = None):
        from concurrent.futures import ThreadPoolExecutor

        from django.db import connection
        from psycopg import sql

        if snapshot is None:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
        self.conn = connection.get_new_connection(connection.get_connection_params())
        try:
            self.conn.autocommit = False
            self.cur = self.conn.cursor()
            self.cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self.cur.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        except Exception:
            self.conn.close()
            raise
        self.pool = ThreadPoolExecutor(1)

    @classmethod
    def try_open(cls, cur):
        """A ``SideReader`` of ``cur``'s transaction, or a no-op context giving None when the second
        connection cannot be opened or cannot import the snapshot (connection limit, a pooler…): the
        reads then all run on ``cur``.  Use as ``with SideReader.try_open(cur) as side:``."""
        import contextlib
        import logging

        import psycopg
        from django.db import DatabaseError

        cur.execute("SELECT pg_export_snapshot()")  # (not in a savepoint: a subtransaction cannot export)
        snapshot = cur.fetchone()[0]
        try:
            return cls(cur, snapshot)
        except (DatabaseError, psycopg.Error) as exc:
            logging.getLogger(__name__).warning("no second reader (%s): reading on one connection", exc)
            return contextlib.nullcontext(None)

    def submit(self, fn, *args):
        return self.pool.submit(fn, self.cur, *args)

    def close(self):
        self.pool.shutdown(wait=True)
        try:
            self.conn.rollback()
        finally:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_deferred_checks() -> None:
    """Run now what the commit would check (PostgreSQL: the deferred foreign keys of the rows this
    transaction wrote; ``SET CONSTRAINTS ALL IMMEDIATE`` checks every pending one).  For benchmarks,
    whose measured runs are rolled back and so never commit: a timed step that writes rows includes
    the checks its commit would run (500,000 lines with two foreign keys: about 3 s)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
