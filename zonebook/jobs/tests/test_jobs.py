"""Background jobs: start → task → progress → result, and the job pages (immediate task backend)."""

import pytest
from django.utils import translation

from zonebook.accounts.testing import user_for
from zonebook.core import context
from zonebook.core.errors import DomainError, RowError
from zonebook.jobs import services
from zonebook.jobs.models import Job

SEEN = {}


def counting_job(job, *, n: int):
    """A sample job: reports progress per item, attaches a file, returns a result."""
    SEEN["context"] = context.current()
    for i in range(1, n + 1):
        services.progress(job, i, n)
    SEEN["done_in_db"] = Job.objects.get(pk=job.pk).done
    services.attach_result(job, "result.txt", b"hello")
    return {"count": n}


def failing_job(job):
    raise DomainError("bad input", code="bad", details=[RowError(3, "名称", "x", "too short")])


def crashing_job(job):
    raise RuntimeError("secret internals")


def start(user, func, **params):
    return services.start_job(
        "test", "Test job", user, f"zonebook.jobs.tests.test_jobs.{func}", params=params
    )


@pytest.fixture
def client(client):
    """Pages in English, so that assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def owner(db):
    return user_for("province", "510000", username="owner")


def test_job_runs_on_commit_and_records_progress_and_result(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = start(owner, "counting_job", n=5)
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and len(callbacks) == 1  # nothing runs before commit
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.result == {"count": 5}
    assert job.result_file.read() == b"hello"
    assert job.task_id and job.started_at and job.finished_at
    assert SEEN["done_in_db"] == 5  # the last progress call always writes
    assert (SEEN["context"].source, SEEN["context"].user_id) == ("job", owner.pk)


def test_running_twice_is_harmless(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start(owner, "counting_job", n=1)
    assert services.execute(job.pk) == "skipped"


def test_domain_error_fails_the_job_with_its_messages(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start(owner, "failing_job")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert [m["text"] for m in job.messages] == ["bad input", "row 3, column 名称: too short"]
    assert job.result == {"error": "bad input", "code": "bad"}


def test_unexpected_error_is_logged_not_shown(owner, django_capture_on_commit_callbacks):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = start(owner, "crashing_job")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "secret" not in str(job.messages)
    assert job.messages[-1]["level"] == "error"


def test_progress_writes_are_throttled(owner, django_assert_num_queries):
    job = Job.objects.create(kind="t", label="t", created_by=owner)
    services._last_write.pop(job.pk, None)
    with django_assert_num_queries(1):
        for i in range(1, 100):
            services.progress(job, i, 1000)
    with django_assert_num_queries(1):
        services.progress(job, 1000, 1000)  # the end is always written
    job.refresh_from_db()
    assert (job.done, job.total) == (1000, 1000)


def test_pages(owner, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = start(owner, "counting_job", n=2)
    running = Job.objects.create(
        kind="t", label="Running job", created_by=owner, state=Job.State.RUNNING, done=3, total=10
    )
    client.force_login(owner)
    page = client.get("/jobs/").content.decode()
    assert "Test job" in page and "Running job" in page

    frag = client.get(f"/jobs/{running.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in frag and "30%" in frag
    frag = client.get(f"/jobs/{done.pk}/progress/").content.decode()
    assert "hx-trigger" not in frag and "100%" in frag

    detail = client.get(f"/jobs/{running.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in detail
    detail = client.get(f"/jobs/{done.pk}/").content.decode()
    assert "http-equiv" not in detail

    r = client.get(f"/jobs/{done.pk}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"hello"
    assert client.get(f"/jobs/{running.pk}/download/").status_code == 404


def test_jobs_are_private_to_their_owner(owner, client):
    other = user_for("province", "510000", username="colleague")
    admin = user_for("all", username="root")
    job = Job.objects.create(kind="t", label="Owner's job", created_by=owner)
    client.force_login(other)
    assert "Owner&#x27;s job" not in client.get("/jobs/").content.decode()
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/", f"/jobs/{job.pk}/download/"):
        assert client.get(url).status_code == 404
    client.force_login(admin)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


@pytest.mark.parametrize("n", [1, 30])
def test_job_list_query_count_is_fixed(owner, client, django_assert_max_num_queries, n):
    Job.objects.bulk_create([Job(kind="t", label=f"job {i}", created_by=owner) for i in range(n)])
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        assert client.get("/jobs/").status_code == 200
