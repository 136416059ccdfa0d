"""Cell parsers: turn one raw spreadsheet/CSV cell into a Python value or raise ``CellError``.

Raw cells are what the readers give: ``str`` (CSV and text cells), ``int``/``float`` (numbers),
``datetime``/``date`` (date cells), ``bool`` or ``None``.  Every parser first normalises text:
full-width digits, letters and punctuation become ASCII, surrounding blanks go.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Full-width ASCII block (！ … ～) → ASCII, ideographic space → space, plus common CJK punctuation
# that appears in numbers and dates.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0x3001: ord(","), 0x3002: ord(".")})

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 in the 1900 system (after the 1900 leap-year bug)


class CellError(ValueError):
    """A cell that cannot be parsed; ``reason`` is a translated sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def to_ascii(value: str) -> str:
    return value.translate(_FULLWIDTH)


def clean_text(raw: Any) -> str:
    """The cell as normalised text ('' for blank)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return to_ascii(str(raw)).strip()


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def display(raw: Any) -> str:
    """The cell as the user typed it, for error messages."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime) and raw.time() == dt.time(0):
        return raw.date().isoformat()
    return str(raw).strip()[:200]


class Parser:
    """Base parser; subclasses implement ``parse`` for a non-blank cell."""

    type_label = gettext_lazy("text")
    do_not_call_in_templates = True

    def __call__(self, raw: Any) -> Any:
        return self.parse(raw)

    def parse(self, raw: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class Text(Parser):
    type_label = gettext_lazy("text")

    def __init__(self, max_length: int | None = None, upper: bool = False, ascii_only: bool = False):
        self.max_length = max_length
        self.upper = upper
        self.ascii_only = ascii_only

    def parse(self, raw: Any) -> str:
        if self.ascii_only:
            value = clean_text(raw).replace(" ", "")
        else:
            # keep full-width characters in names (they are part of Chinese text), only trim
            value = str(raw).strip() if not isinstance(raw, int | float) else clean_text(raw)
        if self.upper:
            value = value.upper()
        if self.max_length and len(value) > self.max_length:
            raise CellError(_("Too long: at most %(n)d characters.") % {"n": self.max_length})
        return value


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _number_text(raw: Any) -> str:
    text = clean_text(raw).replace(" ", "")
    if "," in text:
        if not _THOUSANDS.match(text):
            raise CellError(_("Not a number (misplaced thousands separator)."))
        text = text.replace(",", "")
    return text


FLOAT_NOISE = Decimal("1e-9")


class DecimalNumber(Parser):
    type_label = gettext_lazy("number")

    def __init__(self, max_digits: int = 18, decimal_places: int = 2, min_value: Decimal | None = None):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.min_value = min_value

    def parse(self, raw: Any) -> Decimal:
        if isinstance(raw, bool):
            raise CellError(_("Not a number."))
        if isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, int):
            value = Decimal(raw)
        else:
            text = _number_text(raw)
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise CellError(_("Not a number."))
        if not value.is_finite():
            raise CellError(_("Not a number."))
        exp = value.normalize().as_tuple().exponent  # trailing zeros do not count
        places = -exp if isinstance(exp, int) and exp < 0 else 0
        step = Decimal(1).scaleb(-self.decimal_places)
        if places > self.decimal_places:
            # Excel stores doubles: 1234.56 computed by a formula may read as 1234.5600000000002
            if not (isinstance(raw, float) and abs(value - value.quantize(step)) < FLOAT_NOISE):
                raise CellError(_("Too many decimal places: at most %(n)d.") % {"n": self.decimal_places})
        quantized = value.quantize(step) if value.adjusted() < self.max_digits else None
        if quantized is None or len(quantized.as_tuple().digits) > self.max_digits:
            raise CellError(
                _("Too large: at most %(n)d digits before the decimal point.")
                % {"n": self.max_digits - self.decimal_places}
            )
        if self.min_value is not None and quantized < self.min_value:
            raise CellError(_("Must not be less than %(min)s.") % {"min": self.min_value})
        return quantized


class Integer(Parser):
    type_label = gettext_lazy("whole number")

    def __init__(self, min_value: int | None = None, max_value: int | None = None):
        self.min_value = min_value
        self.max_value = max_value

    def parse(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise CellError(_("Not a whole number."))
        if isinstance(raw, float):
            if not raw.is_integer():
                raise CellError(_("Not a whole number."))
            value = int(raw)
        elif isinstance(raw, int):
            value = raw
        else:
            try:
                value = int(_number_text(raw))
            except ValueError:
                raise CellError(_("Not a whole number."))
        if self.min_value is not None and value < self.min_value:
            raise CellError(_("Must not be less than %(min)s.") % {"min": self.min_value})
        if self.max_value is not None and value > self.max_value:
            raise CellError(_("Must not be more than %(max)s.") % {"max": self.max_value})
        return value


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]

# Serial numbers accepted as Excel dates: 1 (1900-01-01) … 2958465 (9999-12-31); in practice we
# only accept 1950-01-01 … 2199-12-31 so that a stray amount is not taken for a date.
SERIAL_MIN, SERIAL_MAX = 18264, 109574


def excel_serial_to_date(serial: float) -> dt.date:
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


class Date(Parser):
    type_label = gettext_lazy("date")

    def parse(self, raw: Any) -> dt.date:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, bool):
            raise CellError(_("Not a date."))
        if isinstance(raw, int | float):
            return self._serial(raw)
        text = clean_text(raw).replace(" ", "")
        # "2024-01-01 00:00:00" from exports
        if len(text) > 10 and text[10:].lstrip("T").startswith("00:00"):
            text = text[:10]
        if text.isdigit() and len(text) != 8:
            return self._serial(int(text))
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                y, mo, d = (int(g) for g in m.groups())
                try:
                    return dt.date(y, mo, d)
                except ValueError:
                    raise CellError(_("No such date."))
        raise CellError(_("Not a date; write it as 2024-01-31, 2024/1/31 or 2024年1月31日."))

    def _serial(self, value: float) -> dt.date:
        if isinstance(value, float) and not value.is_integer():
            value = int(value)  # a date-time serial: keep the day
        if not SERIAL_MIN <= value <= SERIAL_MAX:
            raise CellError(_("Not a date; write it as 2024-01-31, 2024/1/31 or 2024年1月31日."))
        return excel_serial_to_date(value)


_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "有"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "无", "不是"}


class Boolean(Parser):
    type_label = gettext_lazy("yes/no")

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = clean_text(raw).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(_("Write 是 or 否 (or Y/N, true/false)."))


class Choice(Parser):
    """One of a fixed set of choices, by value or by label in any language."""

    type_label = gettext_lazy("choice")

    def __init__(self, choices, aliases: dict[str, str] | None = None):
        self.choices = choices
        self.aliases = {k.lower(): v for k, v in (aliases or {}).items()}
        self._cache: dict[str, str] | None = None

    def prepare(self) -> None:
        self._cache = self._lookup()

    def _pairs(self):
        return self.choices.choices if hasattr(self.choices, "choices") else self.choices

    def _lookup(self) -> dict[str, str]:
        from django.utils import translation

        out = dict(self.aliases)
        for value, label in self._pairs():
            if value == "":
                continue
            out[str(value).lower()] = value
            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    out[str(label).lower()] = value
        return out

    def parse(self, raw: Any) -> str:
        text = clean_text(raw).lower()
        if self._cache is None:
            self.prepare()
        lookup = self._cache or {}
        if text in lookup:
            return lookup[text]
        labels = [str(label) for value, label in self._pairs() if value]
        raise CellError(_("Unknown value; use one of: %(values)s.") % {"values": "、".join(labels)})
