from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .permissions import require_write


class ScopedMixin(LoginRequiredMixin):
    """Views over scoped models: the queryset is always ``for_user``; objects outside are 404."""

    write_area: str | None = None

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    def check_write(self):
        require_write(self.request.user, self.write_area)


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        db = {"status": "ok", "vendor": connection.vendor}
        code = 200
    except Exception as exc:  # noqa: BLE001 - health check reports any failure
        db = {"status": "error", "vendor": connection.vendor, "error": exc.__class__.__name__}
        code = 503
    return JsonResponse({"status": "ok" if code == 200 else "error", "database": db}, status=code)


def home(request):
    """``core:home`` (``/``): the view named by ``settings.HOME_VIEW`` (the ``home`` app's dashboards;
    core imports nothing above it, so the view is looked up by its dotted path)."""
    from django.conf import settings

    from .modules import resolve

    return resolve(settings.HOME_VIEW)(request)


def _api_error(request, status: int, detail: str):
    """Errors under /api/ answer JSON (the schema's ``Error``), never an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return None


def error_400(request, exception=None):
    return _api_error(request, 400, _("Bad request.")) or render(request, "errors/400.html", status=400)


def error_403(request, exception=None):
    return _api_error(request, 403, str(exception) if exception else _("Permission denied.")) or render(
        request, "errors/403.html", {"reason": str(exception) if exception else ""}, status=403
    )


def error_404(request, exception=None):
    return _api_error(request, 404, _("Not found.")) or render(request, "errors/404.html", status=404)


def error_500(request):
    import sys

    from .busy import busy_response, is_busy_error

    exc = sys.exc_info()[1]
    if is_busy_error(exc):  # e.g. the session save of a middleware: busy, retry (core/busy.py)
        return busy_response(request, exc)
    return _api_error(request, 500, _("Server error.")) or render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/403.html", {"reason": _("The form expired or was sent from another page. Please reload and try again.")}, status=403)


def scoped_object(model):
    """Declare which scoped model a function view's URL ``pk`` refers to.

    The URL-walking scope test (core/tests/test_scope_walk.py) reads this (or ``view_class.model``
    / ``queryset.model`` for class-based views and viewsets) to prove that ids outside the user's
    scope give 404.
    """

    def deco(fn):
        fn.scoped_model = model
        return fn

    return deco
