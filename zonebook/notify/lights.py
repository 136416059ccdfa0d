"""THE traffic-light rule of Zonebook (one implementation for every module).

``traffic_light(remaining, amber=..., red=...)`` classifies a remaining quantity (days, hours,
minutes, a share — any number) against two thresholds:

* ``red``   — ``remaining <= red`` (this includes the past, unless ``overdue_below`` is given);
* ``amber`` — ``remaining <= amber``;
* ``green`` — otherwise;
* ``overdue`` — only when ``overdue_below`` is given and ``remaining < overdue_below`` (e.g. ``0``:
  a deadline already passed is "overdue" rather than "red");
* ``""`` — no value (no date, no deadline).

``light_info(code)`` gives the CSS class and translated label of a light, ``light_badge`` the HTML
badge.  ``date_light_case`` / ``date_light_q`` are the same rule in SQL for a date column (``due <=
today + red days`` ⇔ ``days left <= red``), so set-based queries classify exactly as the Python code.

Pure: no database access; only the SQL builders and the labels touch Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Q, Value, When
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

GREEN, AMBER, RED, OVERDUE = "green", "amber", "red", "overdue"
LIGHTS = (GREEN, AMBER, RED, OVERDUE)
Number = int | float | Decimal

CSS = {
    GREEN: "text-bg-success",
    AMBER: "text-bg-warning",
    RED: "text-bg-danger",
    OVERDUE: "text-bg-dark",
}
LABELS = {GREEN: _("green"), AMBER: _("amber"), RED: _("red"), OVERDUE: _("overdue")}
# Ordering for "worst first" sorting and comparisons.
SEVERITY = {"": 0, GREEN: 1, AMBER: 2, RED: 3, OVERDUE: 4}


@dataclass(frozen=True)
class LightInfo:
    code: str
    css: str
    label: str


def traffic_light(
    remaining: Number | None, *, amber: Number, red: Number, overdue_below: Number | None = None
) -> str:
    """Classify ``remaining`` (see the module docstring).  ``red`` must not exceed ``amber``."""
    if remaining is None:
        return ""
    if red > amber:
        raise ValueError(f"red threshold {red} exceeds amber threshold {amber}")
    if overdue_below is not None and remaining < overdue_below:
        return OVERDUE
    if remaining <= red:
        return RED
    if remaining <= amber:
        return AMBER
    return GREEN


def share_light(remaining: Number | None, total: Number, *, warn_pct: Number, red_pct: Number = 0) -> str:
    """A clock's light from the share of its time left: amber at ``warn_pct`` % of ``total`` left or
    less, red at ``red_pct`` % or less (default: none left), overdue once past (remaining < 0)."""
    if remaining is None:
        return ""
    amber = Decimal(str(total)) * Decimal(str(warn_pct)) / 100
    red = Decimal(str(total)) * Decimal(str(red_pct)) / 100
    return traffic_light(Decimal(str(remaining)), amber=amber, red=red, overdue_below=0)


def light_info(code: str) -> LightInfo:
    """CSS class and translated label of a light ('' or unknown: a grey badge with the code)."""
    return LightInfo(code, CSS.get(code, "text-bg-secondary"), str(LABELS[code]) if code in LABELS else code)


def light_badge(code: str, text=None):
    """``<span class="badge …" data-light="…">label or text</span>``."""
    info = light_info(code)
    return format_html(
        '<span class="badge {}" data-light="{}">{}</span>', info.css, code, info.label if text is None else text
    )


# ------------------------------------------------------------------ the same rule in SQL


def date_light_whens(field: str, today: dt.date, *, amber_days: int, red_days: int, overdue: bool = False,
                     **match) -> list[When]:
    """``When`` clauses classifying a date column by its days left (``field - today``), optionally
    restricted to rows matching ``match`` (e.g. ``kind="expiry"``).  With ``overdue``, a date before
    today is ``overdue`` (``overdue_below=0``)."""
    if red_days > amber_days:
        raise ValueError(f"red threshold {red_days} exceeds amber threshold {amber_days}")
    whens = []
    if overdue:
        whens.append(When(**match, **{f"{field}__lt": today}, then=Value(OVERDUE)))
    whens.append(When(**match, **{f"{field}__lte": today + dt.timedelta(days=red_days)}, then=Value(RED)))
    whens.append(When(**match, **{f"{field}__lte": today + dt.timedelta(days=amber_days)}, then=Value(AMBER)))
    return whens


def date_light_case(whens: list[When], default: str = GREEN) -> Case:
    return Case(*whens, default=Value(default), output_field=CharField())


def date_light_q(light: str, field: str, today: dt.date, *, amber_days: int, red_days: int,
                 overdue: bool = False) -> Q:
    """Rows of a date column whose light is ``light`` (a filter; no annotation needed)."""
    red_until = today + dt.timedelta(days=red_days)
    amber_until = today + dt.timedelta(days=amber_days)
    if light == OVERDUE:
        return Q(**{f"{field}__lt": today}) if overdue else Q(pk__in=[])
    if light == RED:
        q = Q(**{f"{field}__lte": red_until})
        return q & Q(**{f"{field}__gte": today}) if overdue else q
    if light == AMBER:
        return Q(**{f"{field}__gt": red_until, f"{field}__lte": amber_until})
    return Q(**{f"{field}__gt": amber_until})
