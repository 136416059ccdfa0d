"""Month close page, jobs and command: scoped, background jobs with progress, the everyday check wired
into the daily schedule and ``ledger_recompute --check --open``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zonebook.jobs import schedules
from zonebook.jobs import services as job_services
from zonebook.jobs.models import Job
from zonebook.ledger.models import Balance, MonthClose

from . import factories as f

JAN, FEB = dt.date(2026, 1, 10), dt.date(2026, 2, 10)


@pytest.fixture
def books(world):
    """A book in zone a1 (lines in January and February) and one in zone b1 (January)."""
    a = f.book(world.enterprises.a1, kind="C")
    f.material(a, 1, opening=10)
    f.post(a, "0615", "I", "material", [(1, "5")], date=JAN)
    f.post(a, "0615", "I", "material", [(1, "7.125")], date=FEB)
    b = f.book(world.enterprises.b1, kind="C")
    f.material(b, 1)
    f.post(b, "0615", "I", "material", [(1, "3")], date=JAN)
    return a, b


def test_page_lists_the_months_of_the_books_in_scope(world, client, books, django_assert_max_num_queries):
    from zonebook.ledger.services import monthclose

    a, b = books
    monthclose.close_through(dt.date(2026, 2, 1))
    client.force_login(world.users.zone)
    with django_assert_max_num_queries(25):
        r = client.get("/ledger/closes/")
    assert r.status_code == 200
    months = {m["month"]: m for m in r.context["months"]}
    assert set(months) == {dt.date(2026, 1, 1), dt.date(2026, 2, 1)}
    # zone a1 sees its own book only (b1's book is closed too, but out of scope)
    assert months[dt.date(2026, 1, 1)]["closed"] == 1 and r.context["books"] == 1
    assert months[dt.date(2026, 2, 1)]["items"] == 1 and months[dt.date(2026, 2, 1)]["verified"] == 1
    client.force_login(world.users.province)
    r = client.get("/ledger/closes/")
    assert {m["month"]: m["closed"] for m in r.context["months"]} == {dt.date(2026, 1, 1): 2, dt.date(2026, 2, 1): 2}
    client.force_login(world.users.other_province)
    assert client.get("/ledger/closes/").context["months"] == []
    client.force_login(world.users.enterprise)
    assert client.get("/ledger/closes/").status_code == 403


def test_close_button_queues_a_job_that_closes_the_users_books(world, client, books):
    a, b = books
    client.force_login(world.users.zone)
    r = client.post("/ledger/closes/close/", {"month": "2026-02"})
    job = Job.objects.get(kind="ledger.monthclose")
    assert r.status_code == 302 and r["Location"] == f"/jobs/{job.pk}/"
    assert job.params == {"until": "2026-02-01", "book_ids": [a.pk]}
    assert job_services.execute(job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.done, job.total) == (2, 2)
    assert [m["month"] for m in job.result["months"]] == ["2026-01", "2026-02"]
    assert list(MonthClose.objects.order_by().values_list("book_id", flat=True).distinct()) == [a.pk]
    assert MonthClose.objects.filter(closed_by=world.users.zone).count() == 2
    r = client.get("/ledger/closes/")
    assert [m["closed"] for m in r.context["months"]] == [1, 1]


def test_close_button_refuses_bad_months_and_roles(world, client, books):
    client.force_login(world.users.zone)
    today = dt.date.today()
    for bad in ("2026-13", "soon", f"{today:%Y-%m}"):
        r = client.post("/ledger/closes/close/", {"month": bad}, follow=True)
        assert r.status_code == 200 and not Job.objects.exists()
        assert any(m.level_tag == "error" for m in r.context["messages"])
        assert f'value="{bad}"' in r.content.decode()  # what the user typed is kept
    client.force_login(world.users.enterprise)
    assert client.post("/ledger/closes/close/", {"month": "2026-01"}).status_code == 403
    client.force_login(world.users.province)  # reads, does not write the ledger
    assert client.post("/ledger/closes/verify/").status_code == 403
    assert not Job.objects.exists()


def test_failed_close_job_names_the_items(world, client, books):
    from zonebook.ledger.models import BalanceSnapshot
    from zonebook.ledger.services import monthclose

    a, b = books
    monthclose.close_month(2026, 1)
    BalanceSnapshot.objects.filter(close__book=a).update(imports=D("4"))
    client.force_login(world.users.zone)
    client.post("/ledger/closes/close/", {"month": "2026-02"})
    job = Job.objects.get(kind="ledger.monthclose")
    assert job_services.execute(job.pk) == "failed"
    job.refresh_from_db()
    texts = [m["text"] for m in job.messages]
    assert job.result["code"] == "snapshot_mismatch" and "2026-02" in texts[0]
    assert any(a.number in t and "M0001" in t for t in texts[1:])
    assert not MonthClose.objects.filter(month=dt.date(2026, 2, 1)).exists()


def test_daily_schedule_runs_the_everyday_check_and_the_weekly_one_the_full_verification(books):
    from zonebook.ledger.services import monthclose

    a, b = books
    by_name = {s.name: s for s in schedules.all_schedules()}
    assert by_name["ledger.check_open"].func_path == "zonebook.ledger.jobs.check_open_job"
    assert by_name["ledger.verify_full"].func_path == "zonebook.ledger.jobs.verify_job"
    assert by_name["ledger.monthclose"].func_path == "zonebook.ledger.jobs.close_previous_month_job"
    monthclose.close_through(dt.date(2026, 2, 1))
    check = job_services.start_job("ledger.check_open", "check", None, by_name["ledger.check_open"].func_path)
    assert job_services.execute(check.pk) == "succeeded"
    Balance.objects.filter(book=a).update(imports=D("12.124"))
    check = job_services.start_job("ledger.check_open", "check", None, by_name["ledger.check_open"].func_path)
    assert job_services.execute(check.pk) == "failed"
    check.refresh_from_db()
    assert check.result["code"] == "balances_differ" and any(a.number in m["text"] for m in check.messages)
    verify = job_services.start_job("ledger.verify_full", "v", None, "zonebook.ledger.jobs.verify_job", total=1)
    assert job_services.execute(verify.pk) == "failed"
    repair = job_services.start_job(
        "ledger.verify_full", "v", None, "zonebook.ledger.jobs.verify_job", params={"repair": True}
    )
    assert job_services.execute(repair.pk) == "succeeded"
    repair.refresh_from_db()
    assert repair.result == {"books": 2, "differences": 1, "recomputed": 1} and (repair.done, repair.total) == (2, 2)
    assert Balance.objects.get(book=a).imports == D("12.125")


def test_command_everyday_check_and_close(books):
    a, b = books
    out = StringIO()
    call_command("ledger_recompute", "--close", "2026-01", stdout=out)
    assert "closed up to 2026-01" in out.getvalue()
    assert MonthClose.objects.count() == 2
    call_command("ledger_recompute", "--check", "--open", stdout=out)
    Balance.objects.filter(book=b).update(imports=D("2"))
    with pytest.raises(CommandError):
        call_command("ledger_recompute", "--check", "--open", stdout=out)
    assert f"book {b.pk}" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("ledger_recompute", "--close", "2026-13", stdout=out)
