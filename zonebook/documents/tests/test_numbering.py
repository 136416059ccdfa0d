"""文号 sequences: per office, series and year, audited, unique under concurrency."""

import sqlite3
import threading

import pytest
from django.db import connection, connections, transaction

from zonebook.audit.models import AuditEntry
from zonebook.documents.models import DocumentSequence
from zonebook.documents.numbering import next_number, peek


@pytest.mark.django_db
def test_sequence_per_office_series_and_year():
    assert peek("sc-dept", "川商开发", 2026) == "川商开发〔2026〕1号"
    assert next_number("sc-dept", "川商开发", 2026, title="11月简报") == "川商开发〔2026〕1号"
    assert next_number("sc-dept", "川商开发", 2026) == "川商开发〔2026〕2号"
    assert peek("sc-dept", "川商开发", 2026) == "川商开发〔2026〕3号"
    # a new year starts again at 1; another series and another office have their own counters
    assert next_number("sc-dept", "川商开发", 2027) == "川商开发〔2027〕1号"
    assert next_number("sc-dept", "川商函", 2026) == "川商函〔2026〕1号"
    assert next_number("cd-bureau", "川商开发", 2026) == "川商开发〔2026〕1号"
    assert next_number("sc-dept", "川商开发", 2026) == "川商开发〔2026〕3号"
    assert DocumentSequence.objects.count() == 4
    entries = AuditEntry.objects.filter(code="documents.number.issued").order_by("id")
    assert entries.count() == 6
    assert entries.first().message == "川商开发〔2026〕1号 11月简报"


@pytest.mark.django_db
def test_number_of_a_rolled_back_document_is_given_again():
    class Failed(Exception):
        pass

    with pytest.raises(Failed), transaction.atomic():
        assert next_number("sc-dept", "川商开发", 2026) == "川商开发〔2026〕1号"
        raise Failed
    assert next_number("sc-dept", "川商开发", 2026) == "川商开发〔2026〕1号"


def _file_database(tmp_path, monkeypatch):
    """SQLite: the threads share a WAL file database (the in-memory test database answers
    "table is locked" at once instead of waiting for the write lock as a deployed database does)."""
    db = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    monkeypatch.setitem(connections.settings, "default", {**connections.settings["default"], "NAME": str(db)})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_get_distinct_numbers(tmp_path, monkeypatch):
    """Six threads (own connections) ask for numbers of the same new series at the same moment,
    twice each: the first ones race to create the row (unique constraint + retry), the rest to
    increment it.  Every number is issued once, without gaps.  SQLite (WAL file) and PostgreSQL."""
    if connection.vendor == "sqlite":
        _file_database(tmp_path, monkeypatch)
    n = 6
    barrier = threading.Barrier(n)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            for _ in range(2):
                results.append(next_number("sc-dept", "川商开发", 2026))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(results, key=lambda s: int(s.split("〕")[1][:-1])) == [
        f"川商开发〔2026〕{i}号" for i in range(1, 2 * n + 1)
    ]
    counted = []  # read in a thread too: its connection sees the same database as the workers

    def count():
        try:
            counted.append((DocumentSequence.objects.get().last,
                            AuditEntry.objects.filter(code="documents.number.issued").count()))
        finally:
            connection.close()

    reader = threading.Thread(target=count)
    reader.start()
    reader.join(30)
    assert counted == [(2 * n, 2 * n)]
