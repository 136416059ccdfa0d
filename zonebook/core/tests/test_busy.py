"""A database that cannot take a write in time answers 503 + Retry-After ("busy, retry"), never 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from zonebook.core.busy import is_busy_error
from zonebook.core.scoping import ScopedQuerySet


def _locked(*args, **kwargs):
    raise OperationalError("database is locked")


@pytest.fixture
def busy_scope(monkeypatch):
    """Every scoped query fails as a write waiting for SQLite's lock would."""
    monkeypatch.setattr(ScopedQuerySet, "for_user", _locked)


@pytest.mark.django_db
def test_a_page_answers_503_with_retry_after_and_a_chinese_message(world, busy_scope):
    c = Client(raise_request_exception=False)
    c.force_login(world.users.admin)
    r = c.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 503 and r["Retry-After"] == "5"
    text = r.content.decode()
    assert "数据库正忙" in text and "秒后自动重试" in text and 'http-equiv="refresh"' in text
    # a form POST is not repeated by itself
    r = c.post(f"/registry/zones/{world.zones.a1.pk}/edit/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 503 and "send the form again" in r.content.decode()


@pytest.mark.django_db
def test_the_api_answers_503_json(world, busy_scope, settings):
    settings.DATABASE_BUSY_RETRY_AFTER = 7
    c = Client(raise_request_exception=False)
    c.force_login(world.users.admin)
    r = c.get("/api/registry/zones/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 503 and r["Retry-After"] == "7"
    body = r.json()
    assert body["code"] == "busy" and body["retry_after"] == 7 and "try again" in body["detail"]


@pytest.mark.django_db
def test_a_busy_session_save_in_a_middleware_is_503_too(world, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    c = Client(raise_request_exception=False)
    c.force_login(world.users.admin)
    monkeypatch.setattr(SessionStore, "save", _locked)
    c.session  # noqa: B018 - the login's session exists; the next request writes it again
    r = c.get("/api/registry/zones/?x=1")
    # the idle-timeout middleware stamps the session on the first request: its save fails
    assert r.status_code == 503 and r.json()["code"] == "busy"


@pytest.mark.django_db
def test_other_database_errors_stay_500(world, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: registry_zone")

    monkeypatch.setattr(ScopedQuerySet, "for_user", broken)
    c = Client(raise_request_exception=False)
    c.force_login(world.users.admin)
    assert c.get("/registry/zones/").status_code == 500
    assert c.get("/api/registry/zones/").status_code == 500
    # the home page's panels fail one by one: error cards (zonebook/home), not a 500
    home = c.get("/")
    assert home.status_code == 200 and 'data-failed="1"' in home.content.decode()


def test_which_errors_mean_busy():
    class PgError(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    def pg(sqlstate):
        exc = OperationalError("could not obtain lock")
        exc.__cause__ = PgError(sqlstate)
        return exc

    assert is_busy_error(OperationalError("database is locked"))
    assert is_busy_error(OperationalError("database table is locked"))
    assert is_busy_error(pg("55P03")) and is_busy_error(pg("40P01")) and is_busy_error(pg("40001"))
    assert not is_busy_error(pg("57014"))  # statement timeout: not "retry the same thing"
    assert not is_busy_error(OperationalError("no such table: x"))
    assert not is_busy_error(ValueError("database is locked"))
