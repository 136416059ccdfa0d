"""Staged list import (core/imports/staging.py): short committed batches of hidden lists, one short
publish, and a compensating discard — all or nothing, with other writers not locked out."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline, staging
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger import importers, queries, services
from zonebook.ledger.choices import ListState
from zonebook.ledger.models import Balance, InventoryList, InventoryListLine
from zonebook.ledger.tests import ledger_world

# Real commits (the point of staging); the posting rules of the migrations survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEAD = "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"
SQLITE = "sqlite" in django_settings.DATABASES["default"]["ENGINE"]


def _number(k: int, mark: str = "I") -> str:
    return f"QD510126{mark}9000{k:05d}"


def _file(tmp_path, book, lists: int, *, bad_last=False, lines=2, name="l.csv"):
    rows = []
    for k in range(lists):
        for seq in range(1, lines + 1):
            item = 9 if bad_last and k == lists - 1 and seq == lines else (seq - 1) % 2 + 1
            rows.append(f"{_number(k)},{book.number},I,5000,料件,2026-03-04,过账,{item},10\n")
    path = tmp_path / name
    path.write_text(HEAD + "".join(rows), encoding="utf-8-sig")
    return path


def _run(path, user, **kw):
    return pipeline.run(get_kind("ledger_lists"), path, path.name, user, **kw)


def _committed_staged(numbers) -> int:
    """Count staged lists from ANOTHER connection: only committed rows are seen there."""
    out = []

    def look():
        try:
            out.append(InventoryList.objects.filter(number__in=numbers, state=ListState.IMPORTING).count())
        finally:
            connection.close()

    t = threading.Thread(target=look)
    t.start()
    t.join(30)
    return out[0]


@pytest.fixture
def small_stages(monkeypatch, settings):
    """One list per committed stage, no pause; staged on PostgreSQL too (by default only SQLite is)."""
    monkeypatch.setattr(importers.lists, "STAGE_LINES", 1)
    settings.IMPORT_STAGE_PAUSE = 0
    settings.IMPORT_STAGED = True


def test_lists_are_staged_in_committed_batches_hidden_and_published_once(
    world, tmp_path, small_stages, monkeypatch
):
    lw = ledger_world.build(world)
    user = world.users.enterprise
    numbers = [_number(k) for k in range(4)]
    seen = []
    real_pause = staging.pause

    def pause(held=0.0):
        # after each stage the lists so far are committed (another connection sees them) yet hidden
        assert not connection.in_atomic_block
        seen.append(_committed_staged(numbers))
        assert not queries.inventory_lists(user).filter(number__in=numbers).exists()
        real_pause(held)

    monkeypatch.setattr(staging, "pause", pause)
    api = APIClient()
    api.force_authenticate(user)
    published = []
    real_publish = services.publish_staged_lists

    def publish(book, ids, **kw):
        # the API does not show a staged list either (list or detail)
        shown = {r["id"] for r in api.get("/api/ledger/lists/").json()["results"]}
        assert shown and not shown & set(ids)
        assert api.get(f"/api/ledger/lists/{ids[0]}/").status_code == 404
        published.append(len(ids))
        return real_publish(book, ids, **kw)

    monkeypatch.setattr(services, "publish_staged_lists", publish)
    before = Balance.objects.get(item=lw.m1).imports
    result = _run(_file(tmp_path, lw.book, 4), user)
    assert result.ok and result.written == 8, [str(e) for e in result.errors]
    assert seen == [1, 2, 3, 4] and published == [4]
    lists = InventoryList.objects.filter(number__in=numbers)
    assert sorted(lists.values_list("state", flat=True)) == [ListState.POSTED] * 4
    assert Balance.objects.get(item=lw.m1).imports == before + 40
    codes = AuditEntry.objects.filter(object_id__in=[str(pk) for pk in lists.values_list("pk", flat=True)])
    assert sorted(codes.values_list("code", flat=True)).count("ledger.inventory_list.created") == 4
    assert codes.filter(code="ledger.inventory_list.posted").count() == 4


def _nothing_left(numbers, lines_before, audit_before, balance_before, lw):
    assert not InventoryList.objects.filter(number__in=numbers).exists()  # in no state at all
    assert InventoryListLine.objects.count() == lines_before
    assert AuditEntry.objects.count() == audit_before
    assert Balance.objects.get(item=lw.m1).imports == balance_before


def test_a_bad_row_in_a_late_batch_leaves_nothing_behind(world, tmp_path, small_stages, monkeypatch):
    monkeypatch.setattr(importers.InventoryListImport, "batch_size", 4)  # 2 lists per batch
    lw = ledger_world.build(world)
    numbers = [_number(k) for k in range(6)]
    state = (
        InventoryListLine.objects.count(),
        AuditEntry.objects.count(),
        Balance.objects.get(item=lw.m1).imports,
    )
    staged_before_failure = []
    real_discard = services.discard_staged_lists

    def discard(ids, **kw):
        staged_before_failure.append(_committed_staged(numbers))
        return real_discard(ids, **kw)

    monkeypatch.setattr(services, "discard_staged_lists", discard)
    result = _run(_file(tmp_path, lw.book, 6, bad_last=True), world.users.enterprise)
    assert not result.ok and result.written == 0
    assert [e.row for e in result.errors] == [13] and "备案序号" in str(result.errors[0])
    assert staged_before_failure == [5]  # five lists had been committed (hidden) before the bad one
    _nothing_left(numbers, *state, lw)


def test_a_posting_refused_at_publish_discards_every_staged_list(world, tmp_path, small_stages):
    lw = ledger_world.build(world)
    state = (
        InventoryListLine.objects.count(),
        AuditEntry.objects.count(),
        Balance.objects.get(item=lw.m1).imports,
    )
    path = tmp_path / "l.csv"
    path.write_text(
        HEAD
        + f"{_number(1)},{lw.book.number},I,5000,料件,2026-03-04,过账,1,10\n"
        + f"{_number(2, 'E')},{lw.book.number},E,5100,成品,2026-03-05,过账,1,100000\n",
        encoding="utf-8-sig",
    )
    result = _run(path, world.users.enterprise)
    assert not result.ok and result.written == 0
    assert result.errors[0].row == 3 and "short" in str(result.errors[0]), [str(e) for e in result.errors]
    _nothing_left([_number(1), _number(2, "E")], *state, lw)


def test_an_unexpected_exception_while_staging_discards_and_goes_up(
    world, tmp_path, small_stages, monkeypatch
):
    lw = ledger_world.build(world)
    state = (
        InventoryListLine.objects.count(),
        AuditEntry.objects.count(),
        Balance.objects.get(item=lw.m1).imports,
    )
    real = services.create_inventory_lists
    calls = []

    def create(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker stopped")
        return real(*args, **kw)

    monkeypatch.setattr(services, "create_inventory_lists", create)
    with pytest.raises(RuntimeError):
        _run(_file(tmp_path, lw.book, 4), world.users.enterprise)
    _nothing_left([_number(k) for k in range(4)], *state, lw)


def test_staged_lists_left_by_a_dead_import_are_purged_by_the_next(world, tmp_path, small_stages):
    lw = ledger_world.build(world)
    header = {"number": _number(90), "ie_mark": "I", "supervision_mode": "5000", "item_kind": "material"}
    old = services.create_inventory_lists(
        lw.book,
        [({**header, "declaration_date": dt.date(2026, 3, 4)}, [{"item_seq_no": 1, "qty": 1}])],
        staged=True,
    ).lists[0]
    fresh = services.create_inventory_lists(
        lw.book,
        [
            (
                {**header, "number": _number(91), "declaration_date": dt.date(2026, 3, 4)},
                [{"item_seq_no": 1, "qty": 1}],
            )
        ],
        staged=True,
    ).lists[0]
    InventoryList.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert not queries.inventory_lists(world.users.enterprise).filter(pk__in=[old.pk, fresh.pk]).exists()
    assert _run(_file(tmp_path, lw.book, 1), world.users.enterprise).ok
    assert not InventoryList.objects.filter(pk=old.pk).exists()
    assert not InventoryListLine.objects.filter(inventory_list_id=old.pk).exists()
    assert InventoryList.objects.get(pk=fresh.pk).state == ListState.IMPORTING  # maybe still running


# -- SQLite: other writers during an import ----------------------------------------------------------


@pytest.mark.skipif(not SQLITE, reason="the single write lock is SQLite's")
@pytest.mark.parametrize("staged", [True, False], ids=["staged", "one-transaction"])
def test_writers_are_not_locked_out_by_a_staged_import(world, tmp_path, monkeypatch, settings, staged):
    """Each stage holds the write lock ~0.4 s; ten stages in one transaction hold it ~4 s.  With a
    3 s busy timeout, writers during the staged import all succeed; during the single transaction
    they fail — the service with "database is locked", the API with 503 (never 500)."""
    lw = ledger_world.build(world)
    user = world.users.enterprise
    settings.IMPORT_STAGED = staged
    settings.IMPORT_STAGE_PAUSE = 0.1
    monkeypatch.setattr(importers.lists, "STAGE_LINES", 1)
    path = _file(tmp_path, lw.book, 10, lines=1)
    # the committed test database, copied to a file that the threads below open (WAL, 3 s timeout)
    db = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    file_db = {
        **connections.settings["default"],
        "NAME": str(db),
        "OPTIONS": {**connections.settings["default"]["OPTIONS"], "timeout": 3.0},
    }
    monkeypatch.setitem(connections.settings, "default", file_db)
    real = services.create_inventory_lists

    def slow_create(book, entries, **kw):
        time.sleep(0.4 * len(entries))  # inside the transaction: the lock is held meanwhile
        return real(book, entries, **kw)

    monkeypatch.setattr(services, "create_inventory_lists", slow_create)
    started, done = threading.Event(), threading.Event()
    real_begin = staging.run_staged if staged else pipeline._process
    outcome: dict = {"service": [], "api": [], "import": None}

    def run_import():
        try:
            outcome["import"] = _run(path, user)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["import"] = exc
        finally:
            done.set()
            connection.close()

    def service_writer(k):
        started.wait(10)
        n = 0
        while not done.is_set():
            n += 1
            t0 = time.perf_counter()
            try:
                services.set_opening_balance(lw.m2, n, 0, by=user)
                outcome["service"].append("ok")
            except OperationalError as exc:
                outcome["service"].append(str(exc))
                print("LOCKED after", time.perf_counter() - t0)
            time.sleep(0.3)  # a busy office, not a flood
        connection.close()

    def api_writer():
        started.wait(10)
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        k = 0
        while not done.is_set():
            k += 1
            r = client.post(
                "/api/ledger/lists/",
                {
                    "number": _number(500 + k),
                    "book": lw.book.pk,
                    "ie_mark": "I",
                    "supervision_mode": "5000",
                    "item_kind": "material",
                    "declaration_date": "2026-03-04",
                    "lines": [{"item_seq_no": 1, "qty": "1"}],
                },
                format="json",
            )
            outcome["api"].append((r.status_code, r.headers.get("Retry-After")))
            time.sleep(0.3)  # a busy office, not a flood
        connection.close()

    def spy(*args, **kw):
        started.set()
        return real_begin(*args, **kw)

    monkeypatch.setattr(staging if staged else pipeline, "run_staged" if staged else "_process", spy)
    threads = [threading.Thread(target=run_import), threading.Thread(target=api_writer)] + [
        threading.Thread(target=service_writer, args=(k,)) for k in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    imp = outcome["import"]
    assert not isinstance(imp, Exception) and imp.ok and imp.written == 10, imp
    assert outcome["service"] and outcome["api"]
    assert all(status != 500 for status, _ra in outcome["api"])
    if staged:
        assert set(outcome["service"]) == {"ok"}, outcome["service"]
        assert {status for status, _ra in outcome["api"]} == {201}, outcome["api"]
    else:
        assert any("locked" in s for s in outcome["service"]), outcome["service"]
        assert (503, "5") in outcome["api"], outcome["api"]


@pytest.mark.parametrize("flag", [None, True, False])
def test_which_imports_are_staged(settings, tmp_path, monkeypatch, flag):
    """By default SQLite imports are staged (its one write lock), PostgreSQL ones only from
    ``IMPORT_STAGE_FROM_BYTES`` (below, one transaction); ``IMPORT_STAGED`` True/False overrides."""
    from django.db import connection

    from zonebook.core.imports import staging as st

    settings.IMPORT_STAGED = flag
    settings.IMPORT_STAGE_FROM_BYTES = 100
    small, large = tmp_path / "small.zip", tmp_path / "large.zip"
    small.write_bytes(b"x" * 99)
    large.write_bytes(b"x" * 100)

    class Kind:
        staged = True

    got = {p.name: st.enabled(Kind(), p) for p in (small, large)}
    if flag is not None:
        assert got == {"small.zip": flag, "large.zip": flag}
    else:
        sqlite = connection.vendor == "sqlite"
        assert got == {"small.zip": sqlite, "large.zip": True}
    assert st.enabled(type("Plain", (), {})(), large) is False  # a kind without staging never is
