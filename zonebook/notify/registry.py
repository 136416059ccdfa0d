"""The notification kinds, registered by the modules that send them.

A module declares each of its kinds once, from its ``AppConfig.ready()``::

    from zonebook.notify.registry import register_kind

    register_kind(
        "alerts.expiry",
        label=_("Book expiry"),
        title=_("Book %(book)s expires on %(due)s"),      # lazy, %-formatted with the params
        body=_("%(enterprise)s · traffic light %(light)s when sent."),
        link=lambda obj, params: reverse("alerts:alert_detail", args=[obj.pk]) if obj else "",
    )

``title`` and ``body`` are lazy translatable strings formatted with the notification's parameters
(``%(name)s``), or callables ``f(params) -> str``; either way they are rendered when the notification
is *read*, in the reader's language.  ``link`` builds the URL stored with the notification when it is
sent (``f(obj, params) -> str``).  A notification of a kind nobody registered (e.g. a module that was
removed) still shows, with its code as title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Text = Any  # a (lazy) string or a callable(params) -> str


class UnknownNotificationKind(LookupError):
    """Sending a notification of a kind no module registered."""

    def __init__(self, code: str):
        self.code = code
        known = ", ".join(sorted(_KINDS)) or "none"
        super().__init__(
            f"Unknown notification kind {code!r}: register it with "
            f"zonebook.notify.registry.register_kind() in its app's ready() (registered: {known})"
        )


@dataclass(frozen=True)
class Kind:
    code: str
    label: Text
    title: Text
    body: Text = ""
    link: Callable[[Any, dict], str] | None = None
    module: str = ""

    def render_title(self, params: dict) -> str:
        return _render(self.title, params)

    def render_body(self, params: dict) -> str:
        return _render(self.body, params) if self.body else ""

    def build_link(self, obj, params: dict) -> str:
        return (self.link(obj, params) or "") if self.link else ""


_KINDS: dict[str, Kind] = {}
MAX_CODE = 40


def register_kind(
    code: str, *, title: Text, body: Text = "", label: Text = None, link=None, owner: str | None = None
) -> Kind:
    """Declare a kind (idempotent for the same module; a second module claiming a code is an error).

    ``owner`` names the declaring app when the call is forwarded from its registration
    (``core.modules``); otherwise the caller's module is the owner.
    """
    if not code or len(code) > MAX_CODE:
        raise ValueError(f"notification kind code must be 1-{MAX_CODE} characters: {code!r}")
    module = owner or _caller_module()
    existing = _KINDS.get(code)
    if existing is not None and existing.module != module:
        raise ValueError(f"notification kind {code!r} is already registered by {existing.module}")
    kind = Kind(code=code, label=label if label is not None else code, title=title, body=body, link=link,
                module=module)
    _KINDS[code] = kind
    return kind


def get_kind(code: str) -> Kind:
    """The registered kind, or ``UnknownNotificationKind``."""
    try:
        return _KINDS[code]
    except KeyError:
        raise UnknownNotificationKind(code) from None


def find_kind(code: str) -> Kind | None:
    return _KINDS.get(code)


def kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.code)


def choices() -> list[tuple[str, str]]:
    """(code, label) of every registered kind, for filters and forms."""
    return [(k.code, k.label) for k in kinds()]


def label(code: str) -> str:
    kind = _KINDS.get(code)
    return str(kind.label) if kind else code


def unregister_kind(code: str) -> None:
    """Tests only: forget a kind registered by the test."""
    _KINDS.pop(code, None)


def _render(text: Text, params: dict) -> str:
    if callable(text):
        return str(text(params))
    try:
        return str(text) % _Defaulting(params or {})
    except (TypeError, ValueError):
        return str(text)


class _Defaulting(dict):
    """A missing parameter renders empty instead of raising (old rows, changed templates)."""

    def __missing__(self, key):
        return ""


def _caller_module() -> str:
    import inspect

    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        return caller.f_globals.get("__name__", "") if caller else ""
    finally:
        del frame
