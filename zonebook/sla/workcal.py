"""The installation's working-day calendar (package + overrides + confirmed years), cached per
process.  A change to the overrides clears this process's cache at commit; other processes (the
worker) rebuild after ``SLA_CALENDAR_TTL`` seconds."""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.conf import settings

from . import calc

_lock = threading.Lock()
_cached: tuple[float, calc.WorkCalendar] | None = None


def office_hours() -> calc.OfficeHours:
    return calc.OfficeHours.from_mapping(getattr(settings, "SLA_OFFICE_HOURS", None))


def get_calendar() -> calc.WorkCalendar:
    global _cached
    ttl = float(getattr(settings, "SLA_CALENDAR_TTL", 60))
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < ttl:
            return _cached[1]
    from .models import CalendarOverride, CalendarYear

    overrides = dict(CalendarOverride.objects.values_list("date", "is_working_day"))
    years = list(CalendarYear.objects.values_list("year", flat=True))
    cal = calc.WorkCalendar(overrides, confirmed_years=years, office_hours=office_hours())
    with _lock:
        _cached = (now, cal)
    return cal


def clear() -> None:
    global _cached
    with _lock:
        _cached = None


def add_working_days(start: dt.date, n: int) -> tuple[dt.date, bool]:
    """(date, provisional) — see ``calc.WorkCalendar.add_working_days``."""
    cal = get_calendar()
    day = cal.add_working_days(start, n)
    return day, cal.provisional_between(start, day)


def working_days_between(a: dt.date, b: dt.date) -> tuple[int, bool]:
    cal = get_calendar()
    return cal.working_days_between(a, b), cal.provisional_between(a, b)


def uncovered_next_year(today: dt.date | None = None) -> int | None:
    """Next year, when neither the package nor a confirmation covers it (the admin page warns)."""
    year = (today or dt.date.today()).year + 1
    return year if get_calendar().is_provisional_year(year) else None
