"""Schedule expressions on naive local times (no Django): a five-field cron expression or "every N
minutes".  ``jobs.schedules`` converts to and from the schedule time zone (Asia/Shanghai).

Cron: ``minute hour day-of-month month day-of-week``; each field is ``*`` or a comma list of
``a``, ``a-b``, ``*/s``, ``a-b/s`` or ``a/s`` (from a to the field's maximum); months and weekdays
also by English name (``jan``, ``mon``); weekday 0 or 7 is Sunday.  When both day fields are
restricted a day matches either of them (as in Vixie cron).  ``@hourly``, ``@daily``, ``@weekly``
and ``@monthly`` are accepted.

Every N minutes: slots at whole multiples of N minutes counted from 2000-01-01 00:00 local time,
so every divisor of a day (5, 15, 60, 240 …) falls on local midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_WEEKDAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *"}
# (name, lowest, highest, names)
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _WEEKDAYS),
)
# Look this far back/forward for a matching day (29 February on a Monday recurs within 28 years).
_MAX_DAYS = 366 * 28
_EPOCH = dt.datetime(2000, 1, 1)
MAX_EVERY_MINUTES = 7 * 24 * 60


def _value(text: str, field: str, names: dict) -> int:
    text = text.strip().lower()
    if text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"{field}: '{text}' is not a number")
    return int(text)


def _parse_field(text: str, field: str, low: int, high: int, names: dict) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ValueError(f"{field}: empty list item")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{field}: step '{step_text}' must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, field, names), _value(b, field, names)
        else:
            start = _value(base, field, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(f"{field}: {item} is outside {low}-{high}")
        if start > end:
            raise ValueError(f"{field}: range {item} runs backwards")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    expr: str
    minutes: tuple[int, ...]  # descending, for the backward search
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def matches_day(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = day.isoweekday() % 7 in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return dow
        if self.any_weekday:
            return dom
        return dom or dow

    def previous(self, at: dt.datetime) -> dt.datetime | None:
        """The latest slot at or before ``at`` (naive local time), None if none in 28 years."""
        at = at.replace(second=0, microsecond=0)
        day = at.date()
        for i in range(_MAX_DAYS):
            if self.matches_day(day):
                for h in self.hours:
                    if i == 0 and h > at.hour:
                        continue
                    for m in self.minutes:
                        if i == 0 and h == at.hour and m > at.minute:
                            continue
                        return dt.datetime.combine(day, dt.time(h, m))
            day -= dt.timedelta(days=1)
        return None

    def next_after(self, at: dt.datetime) -> dt.datetime | None:
        """The first slot strictly after ``at`` (naive local time)."""
        at = at.replace(second=0, microsecond=0)
        day = at.date()
        for i in range(_MAX_DAYS):
            if self.matches_day(day):
                for h in reversed(self.hours):
                    if i == 0 and h < at.hour:
                        continue
                    for m in reversed(self.minutes):
                        if i == 0 and h == at.hour and m <= at.minute:
                            continue
                        return dt.datetime.combine(day, dt.time(h, m))
            day += dt.timedelta(days=1)
        return None

    def __str__(self) -> str:
        return self.expr


def parse_cron(expr: str) -> Cron:
    """Parse a cron expression; ValueError with the field named when it is malformed."""
    text = " ".join(str(expr).split())
    parts = _ALIASES.get(text.lower(), text).split(" ")
    if len(parts) != 5:
        raise ValueError(f"a cron expression has 5 fields (minute hour day month weekday), not {len(parts)}")
    sets = [_parse_field(p, *f) for p, f in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        expr=text,
        minutes=tuple(sorted(sets[0], reverse=True)),
        hours=tuple(sorted(sets[1], reverse=True)),
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


@dataclass(frozen=True)
class Every:
    minutes: int

    def __post_init__(self):
        if not isinstance(self.minutes, int) or not 1 <= self.minutes <= MAX_EVERY_MINUTES:
            raise ValueError(f"every_minutes must be a whole number from 1 to {MAX_EVERY_MINUTES}")

    def previous(self, at: dt.datetime) -> dt.datetime:
        elapsed = int((at - _EPOCH).total_seconds() // 60)
        return _EPOCH + dt.timedelta(minutes=elapsed - elapsed % self.minutes)

    def next_after(self, at: dt.datetime) -> dt.datetime:
        return self.previous(at) + dt.timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return f"every {self.minutes} min"
