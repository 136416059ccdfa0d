"""Two update-mode imports of the same enterprises at once: the stored rows are locked while an
import writes, so the second one compares with the first one's result (no lost update, and the
audit trail's before/after values chain).  PostgreSQL (SQLite has one writer at a time anyway)."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.registry.models import Enterprise
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="concurrent imports need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_update_imports_at_once_chain_their_changes(tmp_path, monkeypatch):
    kind = get_kind("enterprises")
    fetched = threading.Barrier(2, timeout=3)
    original = kind.find_existing

    def find_existing(self, keys, *, lock=False):
        found = original(self, keys, lock=lock)
        try:
            # both imports have read the stored rows (without the lock, both read the old values)
            # — or, with it, the second is still waiting for the first one's commit
            fetched.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(kind, "find_existing", find_existing)
    zone = ZoneFactory(short_name="高新综保区", province_code="510000", city_code="510100")
    ents = [EnterpriseFactory(zone=zone, name=f"企业{i}") for i in range(20)]
    user = user_for("province", "510000")
    paths = []
    for tag in ("甲", "乙"):
        path = tmp_path / f"{tag}.csv"
        lines = ["企业名称,统一社会信用代码,所在区域"] + [f"{e.name}{tag},{e.uscc},高新综保区" for e in ents]
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    barrier = threading.Barrier(2)
    results = [None, None]

    def worker(n):
        try:
            barrier.wait()
            results[n] = pipeline.run(kind, paths[n], paths[n].name, user, mode="update")
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(getattr(r, "ok", False) for r in results), results
    assert sorted(r.changed_rows for r in results) == [20, 20]
    for e in ents:
        first, second = AuditEntry.objects.filter(
            code="registry.enterprise.updated", object_id=str(e.pk)
        ).order_by("pk")
        assert first.changes["name"][0] == e.name
        assert second.changes["name"][0] == first.changes["name"][1]  # compared with the first result
        assert Enterprise.objects.get(pk=e.pk).name == second.changes["name"][1]
