"""Building a user's dashboard from the registrations (``core.modules``): the to-do counters and the
panels of the user's role, in order.

Each panel's context function and template run on their own: one that raises is logged (with the
request id) and shows an error card; the rest of the page is served (never a 500 for one panel).
A busy database (``core.busy``) is not a panel's failure: it propagates, and the page answers 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from zonebook.core import modules
from zonebook.core.busy import is_busy_error

logger = logging.getLogger("zonebook.home")


@dataclass
class RenderedPanel:
    key: str
    title: Any
    width: int
    html: SafeString | str = ""
    failed: bool = False


@dataclass
class Todo:
    key: str
    label: Any
    url: str
    count: int | None
    tone: str
    failed: bool = False


def for_role(items, user) -> list:
    """The declarations whose ``roles`` include the user's role (empty ``roles``: every role), by order."""
    role = getattr(user, "role", None)
    found = [(i.order, n, i) for n, i in enumerate(items) if not i.roles or role in i.roles]
    return [i for *_k, i in sorted(found, key=lambda t: (t[0], t[1]))]


def panels_for(user) -> list[modules.DashboardPanel]:
    return for_role([p for m in modules.all_modules() for p in m.panels], user)


def todos_for(user) -> list[modules.TodoCounter]:
    return for_role([t for m in modules.all_modules() for t in m.todos], user)


def render_panel(request, panel: modules.DashboardPanel) -> RenderedPanel:
    out = RenderedPanel(panel.key, panel.title, panel.width)
    try:
        ctx = modules.resolve(panel.context)(request) if panel.context else {}
        out.html = render_to_string(panel.template, {**ctx, "panel": panel}, request=request)
    except Exception as exc:
        if is_busy_error(exc):
            raise  # the database is busy: the whole page answers 503 "retry" (core.busy)
        logger.exception(
            "dashboard panel %s failed (user %s, request %s)",
            panel.key,
            getattr(request.user, "pk", None),
            getattr(request, "request_id", ""),
        )
        out.failed = True
    return out


def count_todo(request, todo: modules.TodoCounter) -> Todo:
    out = Todo(todo.key, todo.label, reverse(todo.url_name), None, todo.tone)
    try:
        out.count = int(modules.resolve(todo.count)(request.user))
    except Exception as exc:
        if is_busy_error(exc):
            raise
        logger.exception(
            "to-do counter %s failed (user %s, request %s)",
            todo.key,
            getattr(request.user, "pk", None),
            getattr(request, "request_id", ""),
        )
        out.failed = True
    return out


def build(request) -> dict:
    return {
        "todos": [count_todo(request, t) for t in todos_for(request.user)],
        "panels": [render_panel(request, p) for p in panels_for(request.user)],
    }
