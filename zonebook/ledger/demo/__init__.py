"""The ledger's demo loader (declared in registration.py, run by ``load_demo`` after the registry's):
the bonded books, lists and write-offs of ``load_ledger_demo`` and ``load_writeoff_demo``, which skip
what exists."""

from __future__ import annotations


def load(stdout) -> None:
    from django.core.management import call_command

    call_command("load_ledger_demo", stdout=stdout)
    call_command("load_writeoff_demo", stdout=stdout)
    close_past_months(stdout)


def close_past_months(stdout) -> None:
    """Close (月结) every past month of the demo books that is not closed yet (idempotent)."""
    from django.db import connection
    from django.utils import timezone

    from ..services import monthclose

    if connection.vendor == "postgresql":
        # the demo has just inserted every book, list and line: without statistics (autovacuum has
        # not seen them yet, or cannot, inside a test's transaction) the planner takes the tables for
        # empty and the month's explosion becomes nested loops that run for minutes a month
        from django.apps import apps

        tables = [m._meta.db_table for m in apps.get_app_config("ledger").get_models() if not m._meta.proxy]
        with connection.cursor() as cur:
            cur.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    r = monthclose.close_through(monthclose.previous_month(timezone.localdate()))
    stdout.write(f"ledger month close: {len(r.months)} month(s), {r.items} snapshot row(s)\n")


def present() -> bool:
    from ..models import Book, WriteOff

    return Book.objects.exists() and WriteOff.objects.exists()
