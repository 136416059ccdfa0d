"""Scheduled jobs: slot computation (cron and every-N, Asia/Shanghai), one run per slot, missed
slots collapsing to one run, failed runs waiting for the next slot, the schedules page."""

import datetime as dt
import io
import sqlite3
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, connections

from zonebook.accounts.testing import user_for
from zonebook.jobs import schedules
from zonebook.jobs.cron import Every, parse_cron
from zonebook.jobs.models import Job, ScheduleRun

SH = ZoneInfo("Asia/Shanghai")
CALLS = []


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def counting(job, **params):
    CALLS.append(params)
    return {"ok": True}


def failing(job, **params):
    raise RuntimeError("nightly check broke")


@pytest.fixture
def registry(monkeypatch):
    """An empty schedule registry (the apps' own schedules are not due in these tests)."""
    monkeypatch.setattr(schedules, "_REGISTRY", {})
    CALLS.clear()
    return schedules


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# --- slot computation (no database) ---------------------------------------------------------


def test_cron_weekday_mornings_in_shanghai_time():
    s = schedules.Schedule("t", "x", parse_cron("0 7 * * 1-5"), "t")
    # Monday 2026-12-07 06:59 in Shanghai is Sunday 22:59 UTC: the last slot is Friday 07:00.
    now = dt.datetime(2026, 12, 6, 22, 59, tzinfo=dt.UTC)
    assert s.previous(now) == sh(2026, 12, 4, 7, 0)
    assert s.previous(now).astimezone(dt.UTC) == dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)
    assert s.next_after(now) == sh(2026, 12, 7, 7, 0)
    # at the slot itself the slot is the previous one; the next is Tuesday
    assert s.previous(sh(2026, 12, 7, 7, 0, 30)) == sh(2026, 12, 7, 7, 0)
    assert s.next_after(sh(2026, 12, 7, 7, 0, 30)) == sh(2026, 12, 8, 7, 0)


def test_cron_fields_lists_ranges_steps_names():
    c = parse_cron("*/20 8-10,14 * jan-mar mon")
    assert sorted(c.minutes) == [0, 20, 40] and sorted(c.hours) == [8, 9, 10, 14]
    assert c.months == {1, 2, 3} and c.weekdays == {1}
    # Sunday as 0 or 7; both day fields restricted: either matches (13th or a Friday)
    assert parse_cron("0 0 * * 7").weekdays == {0}
    both = parse_cron("0 0 13 * 5")
    assert both.matches_day(dt.date(2026, 11, 13)) and both.matches_day(dt.date(2026, 11, 6))
    assert not both.matches_day(dt.date(2026, 11, 7))
    assert parse_cron("@daily").previous(dt.datetime(2026, 3, 1, 0, 0)) == dt.datetime(2026, 3, 1, 0, 0)
    # a rare slot (29 February) is found years back
    assert parse_cron("0 12 29 2 *").previous(dt.datetime(2027, 1, 1)) == dt.datetime(2024, 2, 29, 12, 0)
    assert parse_cron("0 12 29 2 *").next_after(dt.datetime(2026, 1, 1)) == dt.datetime(2028, 2, 29, 12, 0)


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "0 0 0 * *",
        "5-1 * * * *",
        "*/0 * * * *",
        "a * * * *",
        "1,,2 * * * *",
    ],
)
def test_malformed_cron_is_refused(expr):
    with pytest.raises(ValueError):
        parse_cron(expr)


def test_every_n_minutes_aligned_to_shanghai_midnight():
    s = schedules.Schedule("t", "x", Every(180), "t")
    # 10:07 Shanghai: slots at 00, 03, 06, 09 … local (UTC alignment would give 08, 11 …)
    assert s.previous(sh(2026, 12, 5, 10, 7)) == sh(2026, 12, 5, 9, 0)
    assert s.next_after(sh(2026, 12, 5, 10, 7)) == sh(2026, 12, 5, 12, 0)
    q = schedules.Schedule("q", "x", Every(15), "q")
    assert q.previous(sh(2026, 12, 5, 10, 14, 59)) == sh(2026, 12, 5, 10, 0)
    assert q.next_after(sh(2026, 12, 5, 10, 15)) == sh(2026, 12, 5, 10, 30)
    for bad in (0, -5, 10**6):
        with pytest.raises(ValueError):
            Every(bad)


def test_register_needs_exactly_one_schedule(registry):
    with pytest.raises(ValueError):
        registry.register("x", "a.b", label="x")
    with pytest.raises(ValueError):
        registry.register("x", "a.b", label="x", cron="0 7 * * *", every_minutes=5)
    with pytest.raises(ValueError):
        registry.register("x", "a.b", label="x", cron="0 25 * * *")
    registry.register("x", "a.b", label="x", every_minutes=5)
    registry.register("x", "a.b", label="x", every_minutes=5)  # the same declaration again: fine
    with pytest.raises(ValueError):
        registry.register("x", "a.b", label="x", every_minutes=10)


# --- runs ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_missed_slots_collapse_to_one_run(registry):
    registry.register("t.hourly", f"{__name__}.counting", every_minutes=60, label="hourly")
    runs = registry.run_due(sh(2026, 12, 5, 8, 0, 10), execute=True)
    assert [r.slot for r in runs] == [sh(2026, 12, 5, 8, 0)]
    assert registry.run_due(sh(2026, 12, 5, 8, 30), execute=True) == []  # same slot: nothing
    # the worker was down from 08:30 to 13:20: five slots missed, one run (the latest slot)
    runs = registry.run_due(sh(2026, 12, 5, 13, 20), execute=True)
    assert [r.slot for r in runs] == [sh(2026, 12, 5, 13, 0)]
    assert registry.run_due(sh(2026, 12, 5, 13, 21), execute=True) == []
    assert len(CALLS) == 2 and ScheduleRun.objects.count() == 2
    job = Job.objects.get(schedule_run__slot=sh(2026, 12, 5, 13, 0))
    assert job.state == Job.State.SUCCEEDED and job.kind == "t.hourly" and job.created_by is None
    assert job.kind_label == "hourly" and "2026-12-05 13:00" in job.label


@pytest.mark.django_db
def test_failed_run_is_visible_and_retried_at_next_slot_not_every_tick(registry, client):
    registry.register("t.nightly", f"{__name__}.failing", cron="0 2 * * *", label="nightly check")
    runs = registry.run_due(sh(2026, 12, 5, 2, 0, 5), execute=True)
    assert len(runs) == 1
    failed = Job.objects.get(pk=runs[0].job_id)
    assert failed.state == Job.State.FAILED and failed.messages[-1]["level"] == "error"
    # every tick until the next night: nothing (the failed slot stays claimed)
    for minute in (1, 2, 30, 60 * 21):
        assert registry.run_due(sh(2026, 12, 5, 2, 0) + dt.timedelta(minutes=minute), execute=True) == []
    (st,) = registry.status(sh(2026, 12, 5, 9, 0))
    assert st.failed and st.failures_in_a_row == 1 and st.next_run == sh(2026, 12, 6, 2, 0) and not st.due_now
    # the next night it is tried again
    runs = registry.run_due(sh(2026, 12, 6, 2, 0, 1), execute=True)
    assert [r.slot for r in runs] == [sh(2026, 12, 6, 2, 0)]
    assert registry.status(sh(2026, 12, 6, 3, 0))[0].failures_in_a_row == 2
    # visible: the jobs page and the schedules page of an installation administrator, in red
    admin = user_for("all", username="sysadmin")
    client.force_login(admin)
    page = client.get("/jobs/").content.decode()
    assert page.count('class="table-danger"') == 2 and "nightly check" in page
    page = client.get("/jobs/schedules/").content.decode()
    assert 'id="schedule-tnightly" class="table-danger"' in page
    assert "2 failures in a row" in page and "Tried again at the next scheduled time." in page


@pytest.mark.django_db
def test_a_broken_declaration_does_not_stop_the_others(registry):
    registry.register("a.broken", "zonebook.jobs.tests.nowhere.func", every_minutes=5, label="broken")
    registry.register("b.fine", f"{__name__}.counting", every_minutes=5, label="fine")
    runs = registry.run_due(sh(2026, 12, 5, 10, 0), execute=True)
    assert [r.schedule for r in runs] == ["b.fine"] and len(CALLS) == 1
    assert not ScheduleRun.objects.filter(schedule="a.broken").exists()


@pytest.mark.django_db
def test_busy_schedule_waits_and_stale_run_does_not_block(registry):
    registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q")
    (run,) = registry.run_due(sh(2026, 12, 5, 10, 0), enqueue=False)  # queued, not run
    assert registry.run_due(sh(2026, 12, 5, 10, 5), enqueue=False) == []  # previous run unfinished
    ScheduleRun.objects.filter(pk=run.pk).update(claimed_at=sh(2026, 12, 5, 3, 0))  # taken for dead
    (later,) = registry.run_due(sh(2026, 12, 5, 10, 7), enqueue=False)
    assert later.slot == sh(2026, 12, 5, 10, 5)


@pytest.mark.django_db
def test_scheduler_enqueues_for_the_worker(registry, django_capture_on_commit_callbacks):
    registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q", params={"n": 3})
    with django_capture_on_commit_callbacks(execute=True):
        out = io.StringIO()
        call_command("run_scheduler", "--once", stdout=out)
    run = ScheduleRun.objects.get()
    assert f"job {run.job_id}" in out.getvalue()
    run.job.refresh_from_db()
    # the immediate task backend ran it (a db_worker would in production)
    assert run.job.state == Job.State.SUCCEEDED and CALLS == [{"n": 3}] and run.job.task_id


@pytest.mark.django_db
def test_schedules_command_lists_and_runs_due(registry):
    registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q")
    out = io.StringIO()
    call_command("schedules", stdout=out)
    assert "t.q" in out.getvalue() and "due now" in out.getvalue()
    out = io.StringIO()
    call_command("schedules", "--run-due", stdout=out)
    assert "ran t.q slot" in out.getvalue() and "succeeded" in out.getvalue()
    out = io.StringIO()
    call_command("schedules", "--run-due", stdout=out)
    assert "nothing due" in out.getvalue()


@pytest.mark.django_db
def test_run_now_by_admin_only_audited(registry, client, django_capture_on_commit_callbacks):
    from zonebook.audit.models import AuditEntry

    registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q")
    zone_user = user_for("province", "510000", username="prov")
    client.force_login(zone_user)
    assert client.get("/jobs/schedules/").status_code == 403
    assert client.post("/jobs/schedules/t.q/run/").status_code == 403
    admin = user_for("all", username="sysadmin")
    client.force_login(admin)
    assert client.post("/jobs/schedules/nope/run/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/jobs/schedules/t.q/run/")
    run = ScheduleRun.objects.get()
    assert r.status_code == 302 and r.url == f"/jobs/{run.job_id}/"
    assert run.manual and run.job.created_by == admin and len(CALLS) == 1
    assert AuditEntry.objects.filter(code="jobs.schedule.run_now", actor=admin).count() == 1
    # a run by hand does not count as the slot's run: the scheduled slot still runs
    assert [s.name for s, _slot in registry.due()] == ["t.q"]
    page = client.get(f"/jobs/{run.job_id}/").content.decode()
    assert 'id="job-schedule"' in page and "started by hand" in page
    # while a run is still queued, "run now" is refused
    registry.run_due(enqueue=False)
    r = client.post("/jobs/schedules/t.q/run/", follow=True)
    assert "has not finished yet" in r.content.decode() and ScheduleRun.objects.count() == 2


@pytest.mark.django_db
def test_a_claimed_slot_cannot_be_claimed_again(registry):
    s = registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q")
    slot = sh(2026, 12, 5, 10, 0)
    assert registry.claim(s, slot, enqueue=False) is not None
    assert registry.claim(s, slot, enqueue=False) is None  # the unique (schedule, slot) row
    assert Job.objects.filter(kind="t.q").count() == 1  # the second claim's job was rolled back


def _file_database(tmp_path, monkeypatch):
    """SQLite: the committed test database copied to a WAL file that new connections open (the
    in-memory shared-cache test database answers "table is locked" at once instead of waiting
    for the write lock as a deployed database does)."""
    db = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    monkeypatch.setitem(connections.settings, "default", {**connections.settings["default"], "NAME": str(db)})


def _in_threads(n, fn):
    """Run ``fn`` in n threads released at the same moment, each on its own connection."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def target():
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - asserted by the caller
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schedulers_at_once_run_a_slot_once(registry, tmp_path, monkeypatch):
    """Four schedulers (threads, each with its own database connection) claim the same slot at
    the same moment: the unique (schedule, slot) row lets one of them through.  On SQLite (a WAL
    file, as deployed) and, with DATABASE_URL set, on PostgreSQL."""
    registry.register("t.q", f"{__name__}.counting", every_minutes=5, label="q")
    if connection.vendor == "sqlite":
        _file_database(tmp_path, monkeypatch)
    now = sh(2026, 12, 5, 10, 1)
    # every scheduler sees the slot due before any of them claims it
    assert [s.name for s, _slot in registry.due(now)] == ["t.q"]
    results, errors = _in_threads(4, lambda: len(registry.run_due(now, enqueue=False)))
    assert not errors, errors
    assert sorted(results) == [0, 0, 0, 1]
    (counts,), errors = _in_threads(
        1,
        lambda: (ScheduleRun.objects.filter(schedule="t.q").count(), Job.objects.filter(kind="t.q").count()),
    )
    assert counts == (1, 1)  # one slot row, one job: the losers' jobs were rolled back
