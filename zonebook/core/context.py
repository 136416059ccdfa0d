"""Per-request context (actor, request id, IP) used by the audit log.

Set by RequestContextMiddleware for web requests; management commands and
background jobs set it with `acting_as()` so their writes are attributed too.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str = ""
    user_id: int | None = None
    source: str = "web"


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "zonebook_request_context", default=RequestContext(source="system")  # noqa: B039 - frozen dataclass
)


def current() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@contextlib.contextmanager
def acting_as(source: str, request_id: str | None = None, user_id: int | None = None):
    token = _current.set(RequestContext(request_id=request_id or new_request_id(), source=source, user_id=user_id))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
