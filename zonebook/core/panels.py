"""Extensible panels on pages owned by another app (the template-level twin of ``core.tabs``).

A page template renders every panel registered for its key::

    {% load core_tags %}{% render_panels "ledger.oversight" %}            {# no object #}
    {% render_panels "ledger.writeoff" wo %}                              {# with the page's object #}

and an app that must not be imported by the page's app registers a panel in ``AppConfig.ready``::

    from zonebook.core import panels

    panels.register("ledger.oversight", panels.Panel(
        key="alerts", template="alerts/_oversight_panel.html", order=10,
        context=lambda request, obj: {...},
    ))

So the page's app (e.g. ``ledger``) needs no import of the panel's app (e.g. ``alerts``): the
dependency points the allowed way.  ``context`` runs only when the panel is rendered; ``visible``
may hide it (e.g. by role).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    order: int = 100
    context: Callable[[Any, Any], dict] | None = None
    visible: Callable[[Any, Any], bool] | None = None


_REGISTRY: dict[str, dict[str, Panel]] = {}


def register(page: str, panel: Panel) -> Panel:
    _REGISTRY.setdefault(page, {})[panel.key] = panel
    return panel


def unregister(page: str, key: str) -> None:
    _REGISTRY.get(page, {}).pop(key, None)


def panels_for(page: str, request, obj=None) -> list[Panel]:
    found = [p for p in _REGISTRY.get(page, {}).values() if p.visible is None or p.visible(request, obj)]
    return sorted(found, key=lambda p: (p.order, p.key))


def render(page: str, request, obj=None) -> SafeString:
    """Every visible panel of ``page`` rendered (HTML, in order); '' when none is registered."""
    out = []
    for panel in panels_for(page, request, obj):
        ctx = {"object": obj, "panel": panel}
        if panel.context is not None:
            ctx.update(panel.context(request, obj))
        out.append(render_to_string(panel.template, ctx, request=request))
    return mark_safe("".join(out))  # noqa: S308 - rendered templates (autoescaped)
