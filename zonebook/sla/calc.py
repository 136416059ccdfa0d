"""Working-day calendar and SLA arithmetic (pure: no Django, no database).

工作日历: the State Council's holiday arrangement (statutory holidays and 调休 make-up working days)
comes from the ``chinese_calendar`` package for the years it covers.  A year it does not cover (it
raises ``NotImplementedError``, e.g. 2027 until the arrangement is published) falls back to the
weekday rule (Monday–Friday work); every result that depends on such a year is **provisional**,
unless the administrator has confirmed that year's arrangement (entered as local overrides).
Local overrides (a day off / a working day) always win over both.

Conventions (期限开始的当日不计算在内):

* ``add_working_days(start, n)``: the n-th working day *after* ``start`` (``n = 0`` → ``start``;
  negative ``n`` counts backwards).
* ``working_days_between(a, b)``: working days in ``(a, b]`` (negative when ``b < a``).
* Working-hour limits count minutes inside office hours (morning and afternoon blocks, lunch break
  excluded) on working days only.

The calendar precomputes a sorted array of working-day ordinals over a window of years and answers
every query with ``bisect`` — O(log n) per item and no per-day loop, so 100k deadlines take
milliseconds (``manage.py sla_bench``).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

try:  # the package is a main dependency; the guard keeps the pure module importable without it
    import chinese_calendar as _cc
except ImportError:  # pragma: no cover
    _cc = None

WORKING_DAYS = "working_days"
WORKING_HOURS = "working_hours"
CALENDAR_DAYS = "calendar_days"
UNITS = (WORKING_DAYS, WORKING_HOURS, CALENDAR_DAYS)


_package_years: dict[int, bool] = {}


def package_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` knows the State Council arrangement of ``year``."""
    if year not in _package_years:
        if _cc is None:
            _package_years[year] = False
        else:
            try:
                _cc.is_workday(dt.date(year, 1, 1))
                _package_years[year] = True
            except NotImplementedError:
                _package_years[year] = False
    return _package_years[year]


def package_is_working_day(day: dt.date) -> bool | None:
    """The package's answer for ``day``; ``None`` when its year is not covered."""
    if not package_covers(day.year):
        return None
    return bool(_cc.is_workday(day))


def package_holiday_name(day: dt.date) -> str:
    """The package's festival name for ``day`` (``"National Day"``…), '' if none or not covered."""
    if not package_covers(day.year):
        return ""
    try:
        _, name = _cc.get_holiday_detail(day)
    except NotImplementedError:  # pragma: no cover
        return ""
    return name or ""


@dataclass(frozen=True)
class OfficeHours:
    """Office hours for working-hour limits (settings ``SLA_OFFICE_HOURS``)."""

    start: dt.time = dt.time(8, 30)
    lunch_start: dt.time = dt.time(12, 0)
    lunch_end: dt.time = dt.time(13, 30)
    end: dt.time = dt.time(17, 30)

    def blocks(self) -> list[tuple[int, int]]:
        """Working blocks of a day as (start minute, end minute) from midnight."""

        def m(t: dt.time) -> int:
            return t.hour * 60 + t.minute

        blocks = [(m(self.start), m(self.lunch_start)), (m(self.lunch_end), m(self.end))]
        return [(a, b) for a, b in blocks if b > a]

    @property
    def minutes_per_day(self) -> int:
        return sum(b - a for a, b in self.blocks())

    @classmethod
    def from_mapping(cls, data: Mapping[str, str] | None) -> OfficeHours:
        if not data:
            return cls()
        parse = dt.time.fromisoformat
        default = cls()
        return cls(
            start=parse(data.get("start", default.start.isoformat())),
            lunch_start=parse(data.get("lunch_start", default.lunch_start.isoformat())),
            lunch_end=parse(data.get("lunch_end", default.lunch_end.isoformat())),
            end=parse(data.get("end", default.end.isoformat())),
        )


class WorkCalendar:
    """The working-day calendar: package + weekday fallback + local overrides.

    ``overrides``: {date: is_working_day}.  ``confirmed_years``: years not covered by the package
    whose arrangement the administrator has entered as overrides (results there are not provisional).
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        *,
        confirmed_years: Iterable[int] = (),
        office_hours: OfficeHours | None = None,
        first_year: int = 2004,
        last_year: int | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.confirmed_years = frozenset(confirmed_years)
        self.office_hours = office_hours or OfficeHours()
        self._first = first_year
        self._last = last_year or dt.date.today().year + 3
        self._build()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        start, end = dt.date(self._first, 1, 1), dt.date(self._last, 12, 31)
        ords = []
        for o in range(start.toordinal(), end.toordinal() + 1):
            if self._is_working(dt.date.fromordinal(o)):
                ords.append(o)
        self._ords = ords
        self._lo, self._hi = start.toordinal(), end.toordinal()

    def _ensure(self, *days: dt.date) -> None:
        grow = False
        for d in days:
            if d.year - 1 < self._first:
                self._first, grow = max(1, d.year - 1), True
            if d.year + 1 > self._last:
                self._last, grow = d.year + 1, True
        if grow:
            self._build()

    def _is_working(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        pkg = package_is_working_day(day)
        if pkg is not None:
            return pkg
        return day.weekday() < 5

    # ---------------------------------------------------------------- queries

    def is_provisional_year(self, year: int) -> bool:
        return not package_covers(year) and year not in self.confirmed_years

    def provisional_between(self, a: dt.date, b: dt.date) -> bool:
        """Whether any day between ``a`` and ``b`` (inclusive, any order) is in a provisional year."""
        lo, hi = min(a, b), max(a, b)
        return any(self.is_provisional_year(y) for y in range(lo.year, hi.year + 1))

    def is_working_day(self, day: dt.date) -> bool:
        self._ensure(day)
        i = bisect_left(self._ords, day.toordinal())
        return i < len(self._ords) and self._ords[i] == day.toordinal()

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``n < 0``: before; ``n = 0``: ``start``)."""
        if n == 0:
            return start
        # a window large enough for n working days (≥ 5 per 7 days minus at most ~30 holidays a year)
        span = dt.timedelta(days=abs(n) * 2 + 60)
        self._ensure(start + span if n > 0 else start - span)
        o = start.toordinal()
        if n > 0:
            i = bisect_right(self._ords, o) + n - 1
        else:
            i = bisect_left(self._ords, o) + n
        return dt.date.fromordinal(self._ords[i])

    def add_working_days_many(self, starts: Iterable[dt.date], ns: Iterable[int]) -> list[dt.date]:
        """``add_working_days`` over many items (n ≥ 0), without per-call overhead."""
        ords, fromord = self._ords, dt.date.fromordinal
        starts, ns = list(starts), list(ns)
        if starts:
            self._ensure(min(starts), max(starts) + dt.timedelta(days=max(ns, default=0) * 2 + 60))
            ords = self._ords
        out = []
        for s, n in zip(starts, ns, strict=True):
            out.append(s if n == 0 else fromord(ords[bisect_right(ords, s.toordinal()) + n - 1]))
        return out

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]``; ``-(working days in (b, a])`` when ``b < a``."""
        self._ensure(a, b)
        if b < a:
            return -self.working_days_between(b, a)
        return bisect_right(self._ords, b.toordinal()) - bisect_right(self._ords, a.toordinal())

    # ---------------------------------------------------------------- hours

    def _day_blocks(self, day: dt.date) -> list[tuple[int, int]]:
        return self.office_hours.blocks() if self.is_working_day(day) else []

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """``start`` plus ``minutes`` of office time (negative: backwards).  Naive or aware datetimes
        in local time; the result keeps ``start``'s tzinfo."""
        tz = start.tzinfo
        day = start.date()
        pos = start.hour * 60 + start.minute + start.second / 60
        left = abs(minutes)
        if minutes == 0:
            return start
        forward = minutes > 0
        for _ in range(400 * 366):  # bounded walk, one step per day
            blocks = self._day_blocks(day)
            seq = blocks if forward else list(reversed(blocks))
            for a, b in seq:
                if forward:
                    lo = max(a, pos)
                    if lo >= b:
                        continue
                    if b - lo >= left:
                        return _at(day, lo + left, tz)
                    left -= b - lo
                else:
                    hi = min(b, pos)
                    if hi <= a:
                        continue
                    if hi - a >= left:
                        return _at(day, hi - left, tz)
                    left -= hi - a
            day = day + dt.timedelta(days=1 if forward else -1)
            pos = 0 if forward else 24 * 60
        raise ValueError("working-minute walk out of range")  # pragma: no cover

    def working_minutes_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Office minutes in ``[a, b)`` (negative when ``b < a``), rounded down to whole minutes."""
        if b < a:
            return -self.working_minutes_between(b, a)
        total = 0.0
        day = a.date()
        while day <= b.date():
            lo_day = a.hour * 60 + a.minute + a.second / 60 if day == a.date() else 0
            hi_day = b.hour * 60 + b.minute + b.second / 60 if day == b.date() else 24 * 60
            for s, e in self._day_blocks(day):
                lo, hi = max(s, lo_day), min(e, hi_day)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return int(total)


def _at(day: dt.date, minute: float, tz) -> dt.datetime:
    whole = int(minute)
    seconds = round((minute - whole) * 60)
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(minutes=whole, seconds=seconds)
