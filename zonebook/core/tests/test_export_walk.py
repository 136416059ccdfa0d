"""Walks every export — each list page's ``?export=csv|xlsx``, every other export route and every
management command that writes CSV/xlsx — with a formula in every text field the data has.

Discovered, not listed by hand: list pages are the URL routes whose view is a ``FilteredListView`` (the
shared export mixin); any other route named ``…export…`` and any command with a ``--format`` option
offering csv/xlsx must have a case below, or the walk fails.  Every export must:

* neutralise text a spreadsheet would run (``= + - @`` TAB CR, full-width too) with a leading ``'``;
* contain no HTML (``<a …>``, closing tags) in any cell;
* write numeric columns as numbers in xlsx (a balance is a number, not ``<a>901.2</a>`` or text);
* have its headers in the user's language (no ``seq_no``-style machine names on pages).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command, get_commands, load_command_class
from django.db import IntegrityError, models, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from zonebook.core import exports
from zonebook.core.lists import FilteredListView
from zonebook.core.testing import scope_samples

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
# what a spreadsheet runs as a formula (OWASP CSV injection; full-width forms too), checked independently
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# fields that hold scope, codes looked up elsewhere or credentials: poisoning them would hide the rows
SKIP_FIELDS = {"password", "username", "province_code", "city_code", "scope_code", "kind", "code"}
HTML = re.compile(r"<a\b|</[a-z]|<(span|div|small|b|i|input|br)\b", re.I)
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?(E[+-]?\d+)?")
MACHINE_NAME = re.compile(r"[a-z]+(_[a-z]+)+")


def poison_text_fields() -> int:
    """Every char/text field without choices of every Zonebook row gets one of ``FORMULAS``."""
    n = 0
    for model in apps.get_models():
        if not model.__module__.startswith("zonebook.") or model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField) or field.choices:
                continue
            if field.primary_key or field.name in SKIP_FIELDS or field.name.endswith("_code"):
                continue
            value = FORMULAS[n % len(FORMULAS)]
            n += 1
            limit = field.max_length or 1000
            try:
                with transaction.atomic():
                    if field.unique:
                        raise IntegrityError("unique: one value per row")
                    model._base_manager.update(**{field.name: value[:limit]})
            except IntegrityError:
                # unique (alone or with other fields): the formula and the row id
                for pk in model._base_manager.values_list("pk", flat=True):
                    text = f"{value[: max(limit - 8, 1)]}{pk}"[:limit]
                    try:
                        with transaction.atomic():
                            model._base_manager.filter(pk=pk).update(**{field.name: text})
                    except IntegrityError:
                        pass
    return n


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else "", p


def export_list_routes():
    """(url, view class) of every list page with ``?export=`` (views built on FilteredListView)."""
    out = {}
    for route, _name, p in _walk(get_resolver().url_patterns):
        view_class = getattr(p.callback, "view_class", None)
        if view_class and issubclass(view_class, FilteredListView) and not p.pattern.regex.groupindex:
            out.setdefault("/" + route, view_class)
    return sorted(out.items())


def other_export_routes():
    """URL names of every other route that exports (named ``…export…``)."""
    names = set()
    for _route, name, p in _walk(get_resolver().url_patterns):
        view_class = getattr(p.callback, "view_class", None)
        if "export" in name and not (view_class and issubclass(view_class, FilteredListView)):
            names.add(name)
    return names


def report_commands():
    """{command: formats} of every Zonebook command with a ``--format`` option offering csv or xlsx."""
    found = {}
    for name, app in get_commands().items():
        if not app.startswith("zonebook"):
            continue
        parser = load_command_class(app, name).create_parser("manage.py", name)
        for action in parser._actions:
            if "--format" in action.option_strings and set(action.choices or ()) & {"csv", "xlsx"}:
                found[name] = [f for f in action.choices if f in ("csv", "xlsx")]
    return found


# --- checks -----------------------------------------------------------------------------------------------


def check_cells(label, rows, failures, *, numeric_cols=(), first_data_row=1):
    """Inspect every cell; returns how many neutralised text cells were seen."""
    neutralised = 0
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if isinstance(value, str):
                if value.startswith("'") and value[1:].startswith(DANGEROUS):
                    neutralised += 1
                if value.startswith(DANGEROUS) and not PLAIN_NUMBER.fullmatch(value):
                    failures.append(f"{label} row {i + 1} col {j + 1}: formula {value!r}")
                if HTML.search(value):
                    failures.append(f"{label} row {i + 1} col {j + 1}: HTML {value!r}")
                if i >= first_data_row and j in numeric_cols and value != "":
                    failures.append(f"{label} row {i + 1} col {j + 1}: number written as text {value!r}")
    return neutralised


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "CSV without BOM (Excel on Chinese Windows needs it)"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(data) -> list[list]:
    wb = openpyxl.load_workbook(data if not isinstance(data, bytes) else io.BytesIO(data))
    rows = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"formula cell {ws.title}!{c.coordinate}: {c.value!r}"
            # openpyxl leaves OOXML's escape of a carriage return (_x000D_) as it is
            rows.append(
                [c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value for c in row]
            )
    return rows


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


@pytest.fixture
def poisoned(world):
    """Rows in every list (the out-of-scope samples of every model, a posted ledger) with formulas."""
    from zonebook.ledger.models import WriteOff
    from zonebook.ledger.tests import ledger_world
    from zonebook.ledger.tests.test_carryover import _queue_world

    ledger = ledger_world.build(world)
    _queue_world(world)  # a carry-over with unmatched queue rows
    scope_samples.load_app_samples()
    for sample in list(scope_samples.SAMPLES.values()):
        sample(world)

    wo = WriteOff.objects.order_by("pk").first()
    assert wo is not None and wo.lines.exists() and wo.cases.exists()
    assert poison_text_fields() > 20
    return SimpleNamespace(world=world, ledger=ledger, writeoff=wo)


@pytest.mark.django_db
def test_every_export_is_formula_safe_plain_and_in_the_users_language(poisoned, client, tmp_path):
    world = poisoned.world
    client.force_login(world.users.admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    failures: list[str] = []
    walked: list[str] = []

    # 1. every list page, csv and xlsx
    routes = export_list_routes()
    assert len(routes) >= 11, routes
    for url, view_class in routes:
        numeric = [i for i, d in enumerate(exports.table_decimals(view_class.table_class)) if d is not None]
        outputs = {}
        for fmt in exports.FORMATS:
            r = client.get(url, {"export": fmt})
            assert r.status_code == 200, f"{url}?export={fmt} -> {r.status_code}"
            walked.append(f"{url}?export={fmt}")
            if fmt == "csv":
                rows = read_csv(_body(r))
                header, first = rows[0], 1
            else:
                rows = read_xlsx(_body(r))
                assert rows[0][0].startswith("筛选条件：") and rows[1][0].startswith("导出时间："), rows[:2]
                header, first = rows[exports.LIST_HEADER_ROWS], exports.LIST_HEADER_ROWS + 1
            label = f"{url}?export={fmt}"
            assert len(rows) > first, f"{label}: no data rows (the walk needs a row in every list)"
            seen = check_cells(
                label, rows, failures, numeric_cols=numeric if fmt == "xlsx" else (), first_data_row=first
            )
            if not seen:
                failures.append(f"{label}: no neutralised text cell (poisoned data not exported?)")
            for h in header:
                if not h or MACHINE_NAME.fullmatch(str(h)) or not re.search(r"[\u4e00-\u9fff]", str(h)):
                    if str(h) not in ("IP",) and not str(h).startswith("IP"):
                        failures.append(f"{label}: header {h!r} not in the user's language")
            outputs[fmt] = header
        assert [str(h) for h in outputs["xlsx"]] == outputs["csv"], url

    # 2. other export routes (each must have a case here)
    wo = poisoned.writeoff
    other_cases = {"ledger:writeoff_export": (f"/ledger/writeoffs/{wo.pk}/export/", ["xlsx", "csv"])}
    assert other_export_routes() <= set(other_cases), other_export_routes() - set(other_cases)
    for _name, (url, formats) in sorted(other_cases.items()):
        for fmt in formats:
            r = client.get(url, {"format": fmt})
            assert r.status_code == 200, f"{url}?format={fmt}"
            rows = read_csv(_body(r)) if fmt == "csv" else read_xlsx(_body(r))
            walked.append(f"{url}?format={fmt}")
            if not check_cells(f"{url}?format={fmt}", rows, failures):
                failures.append(f"{url}?format={fmt}: no neutralised text cell")
            if fmt == "csv":
                assert rows[0][:2] == ["备案序号", "料号"], rows[0]

    # 3. every report command, every format (``--book=…``: a poisoned number may start with "-")
    book = wo.book
    command_cases = {
        "ledger_report": [
            ["balances", f"--book={book.number}"],
            ["balances", f"--book={book.number}", "--as-of", "2026-12-31"],
            ["writeoff", f"--book={book.number}", "--from", wo.start.isoformat(), "--to", wo.end.isoformat()],
        ]
    }
    commands = report_commands()
    assert set(commands) <= set(command_cases), set(commands) - set(command_cases)
    assert "ledger_report" in commands
    for name, formats in sorted(commands.items()):
        for args in command_cases[name]:
            for fmt in formats:
                out = tmp_path / f"{name}-{len(walked)}.{fmt}"
                call_command(name, *args, "--format", fmt, "--output", str(out))
                rows = read_csv(out.read_bytes()) if fmt == "csv" else read_xlsx(out)
                label = f"{name} {' '.join(args)} --format {fmt}"
                walked.append(label)
                if not check_cells(label, rows, failures):
                    failures.append(f"{label}: no neutralised text cell")
                if fmt == "xlsx":
                    assert any(isinstance(v, float | int) for row in rows[1:] for v in row), label

    # 4. the import error report echoes the rejected values
    from zonebook.core.imports.templates import build_error_report

    errors = [SimpleNamespace(row=i + 2, column=f, value=f, reason=f) for i, f in enumerate(FORMULAS)]
    rows = read_xlsx(build_error_report(errors))
    walked.append("import error report")
    if check_cells("import error report", rows, failures) != 3 * len(FORMULAS):
        failures.append("import error report: rejected values not neutralised")

    assert not failures, "\n".join(failures)
    print(f"\nexports walked: {len(walked)}")
    assert len(walked) == 2 * len(routes) + 2 + 3 * 2 + 1


def test_neutralise_is_the_owasp_rule():
    for text in FORMULAS + ["-5 pcs", "+86 138", "@home", "－1"]:
        assert exports.neutralise(text) == "'" + text
    for value in ["成都", "a=b", " =1", "'=1", "", 5, -5, dt.date(2026, 1, 1)]:
        assert exports.neutralise(value) == value
    from decimal import Decimal

    # numbers stay numbers, negative ones too; text that looks like one is neutralised
    assert exports.plain(Decimal("-5.00000")) == Decimal("-5.00000")
    assert exports.plain("-5") == "'-5"
    assert exports.plain(None) == "" and exports.plain(True) in ("Yes", "是")
