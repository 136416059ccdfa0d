"""Extensible tabs for detail pages (the enterprise page is the hub later apps add tabs to).

An app registers a tab for a page key, usually in its ``AppConfig.ready``::

    from zonebook.core import tabs

    tabs.register("registry.enterprise", tabs.Tab(
        key="books", label=_("Bonded books"), template="ledger/_enterprise_books.html", order=50,
        context=lambda request, enterprise: {"books": Book.objects.for_user(request.user).filter(enterprise=enterprise)},
    ))

The detail view calls ``tabs.resolve(page, request, obj)``: only the active tab's ``context`` is
computed, so a tab costs nothing until it is opened.  ``?tab=<key>`` selects the tab; an HTMX
request gets just the tabs block (``includes/tabs.html``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any
    template: str
    order: int = 100
    context: Callable[[Any, Any], dict] | None = None
    visible: Callable[[Any, Any], bool] | None = None


_REGISTRY: dict[str, dict[str, Tab]] = {}


def register(page: str, tab: Tab) -> Tab:
    _REGISTRY.setdefault(page, {})[tab.key] = tab
    return tab


def unregister(page: str, key: str) -> None:
    _REGISTRY.get(page, {}).pop(key, None)


def tabs_for(page: str, request, obj) -> list[Tab]:
    tabs = [t for t in _REGISTRY.get(page, {}).values() if t.visible is None or t.visible(request, obj)]
    return sorted(tabs, key=lambda t: (t.order, t.key))


def resolve(page: str, request, obj, default: str | None = None) -> dict[str, Any]:
    """Template context for the tabs block: ``tabs``, ``active_tab`` and the active tab's own context."""
    tabs = tabs_for(page, request, obj)
    if not tabs:
        raise LookupError(f"no tabs registered for {page!r}")
    key = request.GET.get("tab") or default or tabs[0].key
    active = next((t for t in tabs if t.key == key), None)
    if active is None:
        raise Http404("unknown tab")
    ctx: dict[str, Any] = {"tabs": tabs, "active_tab": active}
    if active.context is not None:
        ctx.update(active.context(request, obj))
    return ctx
