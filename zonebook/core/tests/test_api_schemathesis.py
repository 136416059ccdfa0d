"""Schemathesis over the whole OpenAPI schema, in-process against the WSGI application (issue 14 §7).

Every operation of ``/api/schema/`` gets generated requests (valid and invalid data), sent as a
whole-installation user and as an enterprise user (token authentication) to ``zonebook.wsgi``; the run
fails on any server error (5xx) or any response that does not match the schema (body, status code,
content type).  Path ids are drawn from rows that exist, so detail responses are checked too.

Bounded: ``SCHEMATHESIS_MAX_EXAMPLES`` examples per operation, mode and user (default 6) — about a
minute on two cores.  Runs in both database passes of ``bin/test`` (it is a plain pytest module);
``-m "not schemathesis"`` skips it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.db import transaction  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from schemathesis import checks as st_checks  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from zonebook.wsgi import application  # noqa: E402

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
CHECKS = [
    getattr(st_checks, name)
    for name in (
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    )
]
# Operations that are not JSON APIs of rows (the schema itself, file downloads) are left out.
SKIP = re.compile(r"^/api/(schema|docs)")


def _data(world):
    """A little of everything the API lists: books, items, posted lists, a write-off with difference
    cases, a carry-over with halves."""
    from zonebook.ledger.services import writeoff as wsvc
    from zonebook.ledger.tests import factories as f
    from zonebook.ledger.tests.test_carryover import receive, setup_pair, ship
    from zonebook.ledger.tests.test_writeoff import END, START, STOCKTAKE_C, example_c

    book, _m, _p = example_c(world)
    wo = wsvc.create_writeoff(book, START, END)
    wo = wsvc.import_stocktake(wo, STOCKTAKE_C, source="c.csv")
    wsvc.change_writeoff_state(wo, "pre_check", by=world.users.enterprise)  # opens a difference case
    co = setup_pair(world)
    from zonebook.ledger.services import carryover as csvc

    csvc.link_list(co, ship(co, 10, dt.date(2026, 3, 2)))
    csvc.link_list(co, receive(co, 10, dt.date(2026, 3, 3)))
    draft = f.book(world.enterprises.a1b, kind="C")
    f.material(draft, 1)
    from django.apps import apps

    if apps.is_installed("zonebook.attachments"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from zonebook.attachments import services as asvc

        asvc.attach(world.enterprises.a1, SimpleUploadedFile("纪要.txt", "会议纪要".encode()), by=world.users.zone)


def _known_ids(client, schema_paths) -> dict[str, list[int]]:
    """For every list path, the ids it returns (the detail paths below it draw from them)."""
    out = {}
    for path in schema_paths:
        if "{" in path:
            continue
        r = client.get(path, {"page_size": 20})
        if r.status_code != 200 or not r.get("Content-Type", "").startswith("application/json"):
            continue
        data = r.json()
        rows = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(rows, list):
            ids = [row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), int)]
            if ids:
                out[path] = ids[:10]
    return out


def _ids_for(path: str, known: dict[str, list[int]]) -> list[int]:
    base = path.split("{", 1)[0]
    return known.get(base, [])


def _run(schema, headers, known) -> tuple[list[str], int]:
    failures: list[str] = []
    count = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if SKIP.match(operation.path):
            continue
        ids = _ids_for(operation.path, known)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if ids and "{id}" in operation.path:
                strategy = st.tuples(strategy, st.sampled_from([*ids, None])).map(_with_id)

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case):
                nonlocal count
                count += 1
                # each case in its own savepoint, rolled back: cases stay independent, and a database
                # error (which aborts a PostgreSQL transaction) does not poison the next case
                with transaction.atomic():
                    response = case.call(headers=headers)
                    transaction.set_rollback(True)
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, not raised
                    first = str(exc).strip().splitlines()[:6]
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: " + " | ".join(first)
                    )

            try:
                check()
            except Exception as exc:  # noqa: BLE001 - a strategy that cannot generate is not a finding
                if "Unsatisfiable" not in type(exc).__name__:
                    failures.append(
                        f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {exc}"
                    )
    return failures, count


def _with_id(pair):
    case, pk = pair
    if pk is not None and case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = pk
    return case


@contextlib.contextmanager
def keep_test_connection():
    """The WSGI handler closes "old" connections around each request; inside the test's transaction
    that would close it (PostgreSQL).  Django's test client disconnects the same handler per request
    (and connects it again afterwards), so this wraps only the schemathesis calls."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["admin", "enterprise"])
def test_no_server_errors_nor_schema_violations(world, client, who):
    _data(world)
    user = getattr(world.users, who)
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}", "Accept-Language": "en"}
    client.force_login(user)
    with keep_test_connection():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    known = _known_ids(client, [p for p in schema.raw_schema["paths"]])
    with keep_test_connection():
        failures, count = _run(schema, headers, known)
    # one line per distinct problem (the same violation on many generated cases is reported once)
    distinct = sorted({re.sub(r"/\d+/", "/N/", f)[:400] for f in failures})
    assert not distinct, f"{len(failures)} failing cases:\n" + "\n".join(distinct[:60])
    print(f"schemathesis as {who}: {count} cases, {len(failures)} failing")
    assert count > 100, count
