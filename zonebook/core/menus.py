"""The navigation built from the registrations (``core.modules.MenuEntry``): one loop in ``base.html``.

``build(user)`` gives the entries the user may see, resolved to URLs, in two places:

* ``main`` — the navigation bar: top-level links (entries without a group) and dropdowns (entries
  sharing a ``group``), ordered by ``order`` (a dropdown sits where its first entry's order puts it);
* ``user`` — the user's dropdown (account and settings pages, ``place="user"``).

Visibility: ``roles`` (empty = every role) and the optional ``visible(user) -> bool`` dotted path.
No query: the rules read the user object only.  ``core.context_processors.navigation`` builds the menu
lazily, once per request (a page that does not render the navigation pays nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from . import modules


@dataclass
class Link:
    label: Any
    url: str
    icon: str = ""
    divider: bool = False
    url_name: str = ""


@dataclass
class Group:
    label: Any
    links: list[Link] = field(default_factory=list)
    order: int = 0


def entry_visible(entry: modules.MenuEntry, user) -> bool:
    if entry.roles and getattr(user, "role", None) not in entry.roles:
        return False
    if entry.visible:
        return bool(modules.resolve(entry.visible)(user))
    return True


def entries(user, place: str = "main") -> list[modules.MenuEntry]:
    """The visible entries of ``place`` in menu order (registration order breaks ties)."""
    found = [
        (e.order, n, e)
        for n, e in enumerate(e for m in modules.all_modules() for e in m.menu)
        if e.place == place and entry_visible(e, user)
    ]
    return [e for *_k, e in sorted(found, key=lambda t: (t[0], t[1]))]


def _link(entry: modules.MenuEntry) -> Link:
    return Link(entry.label, reverse(entry.url_name), entry.icon, entry.divider, entry.url_name)


def build(user) -> dict:
    items: list[Link | Group] = []
    groups: dict[str, Group] = {}
    for e in entries(user, "main"):
        if not e.group:
            items.append(_link(e))
            continue
        key = str(e.group)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(e.group, order=e.order)
            items.append(group)
        group.links.append(_link(e))
    for group in groups.values():
        if group.links:
            group.links[0].divider = False
    return {"main": items, "user": [_link(e) for e in entries(user, "user")]}


def urls(user, place: str | None = None) -> list[str]:
    """Every menu URL the user sees (the start smoke test and the page tests walk them)."""
    places = [place] if place else ["main", "user"]
    return [reverse(e.url_name) for p in places for e in entries(user, p)]
