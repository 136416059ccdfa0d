import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import context


def client_ip(request) -> str:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and records it for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "")[:32] or context.new_request_id()
        request.request_id = rid
        token = context.set_context(context.RequestContext(request_id=rid, ip=client_ip(request), source="web"))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = rid
        return response


class SessionIdleTimeoutMiddleware:
    """Logs a user out after SESSION_IDLE_SECONDS without a request (等保: idle timeout)."""

    KEY = "_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > settings.SESSION_IDLE_SECONDS:
                logout(request)
                from django.contrib import messages

                messages.info(request, _("Your session expired after a period of inactivity. Please log in again."))
                if not request.path.startswith("/api/"):
                    return redirect(f"{reverse('accounts:login')}?next={request.path}")
            else:
                # Write at most once a minute to keep session writes cheap.
                if last is None or now - int(last) > 60:
                    request.session[self.KEY] = now
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """Users whose password is an initial or reset one must change it before anything else."""

    ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/", "/healthz", "/jsi18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.path.startswith("/api/")
        ):
            return redirect("accounts:password_change")
        return self.get_response(request)
