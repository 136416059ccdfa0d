"""Trigram indexes for the inventory-list search (PostgreSQL only).

The list search is ``icontains`` on the list number and the enterprise's internal number, which
Django writes as ``UPPER(col::text) LIKE UPPER('%…%')``.  Without an index on that expression
PostgreSQL has no statistics for it, estimates 2 matching rows where a common prefix matches a third
of all lists, and then joins the scope's zone and the enterprise by nested loop with a join filter
(179 ms at 10,000 lists, growing with lists × enterprises).  A GIN index with ``gin_trgm_ops`` on
the same expression makes the match an index scan and gives ANALYZE the expression's statistics, so
the joins become hash joins (16 ms; 0.3 ms for a selective search) — docs/performance.md.

``pg_trgm`` ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13; where it
cannot be installed the migration leaves the search as it was and says so.  SQLite: nothing to do.
"""

from django.db import migrations

INDEXES = (
    ("ledger_list_number_trgm", "number"),
    ("ledger_list_internal_trgm", "internal_number"),
)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT zb_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:  # not installed on the server or no privilege
                cursor.execute("ROLLBACK TO SAVEPOINT zb_trgm")
                print(f"\n  pg_trgm is not available ({exc}); the list search stays unindexed.")
                return
            cursor.execute("RELEASE SAVEPOINT zb_trgm")
        for name, column in INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON ledger_inventorylist "
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )
        cursor.execute("ANALYZE ledger_inventorylist")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_list_totals")]

    operations = [migrations.RunPython(forwards, backwards)]
