"""Cell parsers, without the database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from zonebook.core.imports.kinds import normalize_header
from zonebook.core.imports.parsers import Boolean, CellError, Date, DecimalNumber, Integer, Text, clean_text


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1,234.50", Decimal("1234.50")),
        ("1，234", Decimal("1234.00")),  # full-width comma
        ("１２３４．５", Decimal("1234.50")),  # full-width digits and point
        (" 12 ", Decimal("12.00")),
        (1234.5, Decimal("1234.50")),
        (7, Decimal("7.00")),
        ("-0", Decimal("0.00")),
        ("1234.500", Decimal("1234.50")),  # trailing zeros are not extra places
        (1234.5600000000002, Decimal("1234.56")),  # float noise from Excel formulas
    ],
)
def test_decimal_accepts_separators_and_full_width(raw, expected):
    assert DecimalNumber(18, 2, min_value=0)(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("12,34", "Not a number (misplaced thousands separator)."),
        ("abc", "Not a number."),
        ("1.234", "Too many decimal places: at most 2."),
        ("-5", "Must not be less than 0."),
        ("1234567890123456789", "Too large: at most 16 digits before the decimal point."),
        ("NaN", "Not a number."),
        ("1E+99999", "Too large: at most 16 digits before the decimal point."),
        ("1E-99999", "Too many decimal places: at most 2."),
        (1234.567, "Too many decimal places: at most 2."),
    ],
)
def test_decimal_errors(raw, reason):
    with pytest.raises(CellError) as exc:
        DecimalNumber(18, 2, min_value=0)(raw)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "raw, expected",
    [
        (45292, dt.date(2024, 1, 1)),
        (45292.75, dt.date(2024, 1, 1)),
        ("45292", dt.date(2024, 1, 1)),
        ("2024-01-01", dt.date(2024, 1, 1)),
        ("2024/1/1", dt.date(2024, 1, 1)),
        ("2024年1月1日", dt.date(2024, 1, 1)),
        ("２０２４年１月１日", dt.date(2024, 1, 1)),
        ("20240101", dt.date(2024, 1, 1)),
        ("2024-01-01 00:00:00", dt.date(2024, 1, 1)),
        (dt.datetime(2024, 1, 1, 0, 0), dt.date(2024, 1, 1)),
    ],
)
def test_dates(raw, expected):
    assert Date()(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("2024-02-30", "No such date."),
        ("yesterday", "Not a date; write it as 2024-01-31, 2024/1/31 or 2024年1月31日."),
        (12, "Not a date; write it as 2024-01-31, 2024/1/31 or 2024年1月31日."),
    ],
)
def test_date_errors(raw, reason):
    with pytest.raises(CellError) as exc:
        Date()(raw)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        (1, True),
        (0, False),
        (True, True),
    ],
)
def test_booleans(raw, expected):
    assert Boolean()(raw) is expected


def test_boolean_error():
    with pytest.raises(CellError) as exc:
        Boolean()("maybe")
    assert exc.value.reason == "Write 是 or 否 (or Y/N, true/false)."


def test_integer_and_text():
    assert Integer()("１，０００") == 1000
    with pytest.raises(CellError):
        Integer()(1.5)
    assert Text(18, upper=True, ascii_only=True)("９１５１ｘ") == "9151X"
    with pytest.raises(CellError) as exc:
        Text(3)("abcd")
    assert exc.value.reason == "Too long: at most 3 characters."
    assert clean_text(12.0) == "12"


def test_header_normalisation():
    assert normalize_header(" 注册资本（万元）* ") == normalize_header("注册资本(万元)")
    assert normalize_header("Registered Capital") == "registeredcapital"
