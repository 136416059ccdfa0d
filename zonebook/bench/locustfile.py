"""Locust load test of the Zonebook pages and API (started by ``manage.py bench web``).

Environment: ``BENCH_IDS`` = a JSON file with sample ids (written by ``bench web``),
``BENCH_USERS`` = comma-separated user names (round robin), ``BENCH_PASSWORD``, ``BENCH_WAIT`` =
"min,max" think time in seconds (default 2,8: people read the page before the next click).
Every simulated user logs in once through the login form, then browses.

``BENCH_MEASURE_S`` (set by ``bench web``): the statistics are reset when the LAST user has logged
in, and locust stops that many seconds later, so the figures are steady-state browsing.  (Resetting
when spawning completes, locust's ``--reset-stats``, left the last logins — PBKDF2, ~0.5–0.9 s of
CPU each — inside the measured window.)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

import gevent
from locust import HttpUser, between, task

IDS = json.load(open(os.environ["BENCH_IDS"])) if os.environ.get("BENCH_IDS") else {}
USERS = itertools.cycle((os.environ.get("BENCH_USERS") or "bench-province").split(","))
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
WAIT = [float(x) for x in os.environ.get("BENCH_WAIT", "2,8").split(",")]
MEASURE_S = float(os.environ.get("BENCH_MEASURE_S") or 0)
EXPECTED_USERS = int(os.environ.get("BENCH_USER_COUNT") or 0)
_logged_in = 0
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def pick(key: str):
    values = IDS.get(key) or [0]
    return random.choice(values)


class ZonebookUser(HttpUser):
    wait_time = between(WAIT[0], WAIT[1])

    def on_start(self):
        username = next(USERS)
        page = self.client.get("/accounts/login/", name="login page")
        match = CSRF_RE.search(page.text)
        token = match.group(1) if match else self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
            catch_response=True,
            allow_redirects=False,
        ) as resp:
            if resp.status_code != 302:
                resp.failure(f"login of {username} failed: HTTP {resp.status_code}")
        self._count_login()

    def _count_login(self):
        global _logged_in
        _logged_in += 1
        if MEASURE_S and _logged_in == EXPECTED_USERS:
            runner = self.environment.runner
            runner.stats.reset_all()
            gevent.spawn_later(MEASURE_S, runner.quit)

    # -- pages ---------------------------------------------------------------------------------
    @task(2)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def enterprise_list(self):
        self.client.get("/registry/enterprises/", name="registry: enterprise list")

    @task(1)
    def enterprise_search(self):
        self.client.get("/registry/enterprises/?q=%E5%9F%BA%E5%87%86", name="registry: enterprise search")

    @task(2)
    def enterprise_detail(self):
        self.client.get(f"/registry/enterprises/{pick('enterprises')}/", name="registry: enterprise page")

    @task(1)
    def zone_list(self):
        self.client.get("/registry/zones/", name="registry: zone list")

    @task(3)
    def book_list(self):
        self.client.get("/ledger/books/", name="ledger: book list")

    @task(3)
    def book_detail(self):
        self.client.get(f"/ledger/books/{pick('books')}/", name="ledger: book page")

    @task(1)
    def heavy_book(self):
        self.client.get(f"/ledger/books/{pick('heavy_book')}/", name="ledger: heavy book page (50k lines)")

    @task(2)
    def balance_drilldown(self):
        self.client.get(f"/ledger/items/{pick('items')}/balance/", name="ledger: balance drill-down")

    @task(2)
    def balance_list(self):
        self.client.get("/ledger/balances/", name="ledger: balance list")

    @task(3)
    def list_search(self):
        self.client.get(
            f"/ledger/lists/?q=QD7908{random.choice(['23', '24', '25'])}",
            name="ledger: inventory-list search",
        )

    @task(2)
    def list_detail(self):
        self.client.get(f"/ledger/lists/{pick('lists')}/", name="ledger: inventory-list page")

    @task(1)
    def writeoff_list(self):
        self.client.get("/ledger/writeoffs/", name="ledger: write-off list")

    @task(2)
    def writeoff_detail(self):
        self.client.get(f"/ledger/writeoffs/{pick('writeoffs')}/", name="ledger: write-off page")

    @task(1)
    def oversight(self):
        self.client.get("/ledger/oversight/", name="ledger: oversight")

    # -- API -----------------------------------------------------------------------------------
    @task(2)
    def api_enterprises(self):
        self.client.get("/api/registry/enterprises/", name="api: enterprises")

    @task(2)
    def api_books(self):
        self.client.get("/api/ledger/books/", name="api: books")

    @task(2)
    def api_lists(self):
        self.client.get("/api/ledger/lists/", name="api: lists")

    @task(1)
    def api_balances(self):
        self.client.get(f"/api/ledger/balances/?book={pick('books')}", name="api: balances of a book")
