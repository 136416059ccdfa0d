""" "Busy, retry" instead of a server error when the database cannot take a write in time.

On the embedded SQLite database one writer holds the write lock at a time; a request that waits
longer than the busy timeout (``DATABASES["default"]["OPTIONS"]["timeout"]``) gets
``OperationalError: database is locked``.  On PostgreSQL the same situation is a lock timeout, a
deadlock or a serialization failure.  None of these is a bug of the request: it can be repeated
as it is a moment later.  So they are answered with **503 Service Unavailable** and a
``Retry-After`` header, a translated message, and JSON (``{"code": "busy", …}``) for the API —
never a 500 with an "internal error" page.

Three places turn the exception into that answer, so every path is covered:

* ``BusyMiddleware.process_exception`` — exceptions raised by page views;
* ``core.api.exception_handler`` — exceptions raised by API views (DRF handles them itself);
* ``core.views.error_500`` — anything else that would become a 500 (a middleware's write, e.g.
  the session save), found through ``sys.exc_info()``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs meaning "try again": lock_not_available, deadlock_detected, serialization_failure.
RETRYABLE_SQLSTATES = {"55P03", "40P01", "40001"}
SQLITE_BUSY_TEXTS = ("database is locked", "database table is locked", "database is busy")


def is_busy_error(exc: BaseException | None) -> bool:
    """True for a database error that means "the data is busy, repeat the request"."""
    if exc is None:
        return False
    if not isinstance(exc, OperationalError):
        # raised while handling one (e.g. a rollback that failed too): look at the cause
        cause = exc.__cause__ or exc.__context__
        return isinstance(cause, OperationalError) and is_busy_error(cause)
    text = str(exc).lower()
    if any(t in text for t in SQLITE_BUSY_TEXTS):
        return True
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in RETRYABLE_SQLSTATES


def retry_after() -> int:
    return int(getattr(settings, "DATABASE_BUSY_RETRY_AFTER", 5))


def busy_message() -> str:
    return _(
        "The database is busy with another large change (for example an import) and could not take "
        "this one in time. Nothing was saved; please try again in a few seconds."
    )


def busy_payload() -> dict:
    return {"code": "busy", "detail": busy_message(), "retry_after": retry_after()}


def wants_json(request) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def busy_response(request, exc: BaseException | None = None) -> HttpResponse:
    """The 503 answer for a page or API request."""
    logger.warning(
        "database busy: %s %s answered 503 (%s)",
        request.method,
        request.path,
        exc.__class__.__name__ if exc else "",
    )
    if wants_json(request):
        response: HttpResponse = JsonResponse(busy_payload(), status=503)
    else:
        html = render_to_string(
            "errors/503.html",
            {"message": busy_message(), "retry_after": retry_after(), "reload": request.method == "GET"},
            request=None,
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after())
    return response


class BusyMiddleware:
    """Page views that hit a busy database answer 503 with Retry-After (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_busy_error(exception):
            return busy_response(request, exception)
        return None
