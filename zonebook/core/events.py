"""The audit port: how core's generic code records an audit event without importing ``audit``.

``core`` sits at the bottom of the layers contract (pyproject.toml), below ``audit``; the audit app
plugs its ``record_event`` in at start-up (``AuditConfig.ready``).  Generic code in core (the list
pages' exports) calls ``record_event`` here; it writes in the caller's transaction like the audit
service itself.  Code above core calls ``zonebook.audit.services`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_recorder: Callable[..., Any] | None = None


def set_event_recorder(fn: Callable[..., Any] | None) -> None:
    global _recorder
    _recorder = fn


def record_event(code: str, **kwargs) -> Any:
    """``audit.services.record_event(code, by=..., message=..., changes=...)`` through the port."""
    if _recorder is None:
        raise ImproperlyConfigured("No audit recorder is installed (is zonebook.audit in INSTALLED_APPS?)")
    return _recorder(code, **kwargs)
