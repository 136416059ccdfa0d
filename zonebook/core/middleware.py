import ipaddress
import re
import time
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import context

# A request id a trusted proxy may hand over: nginx's $request_id (32 hex digits), a uuid without
# dashes, or any short token of letters, digits, "-", "_" and "." (the audit column holds 32).
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,31}$")


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str) -> bool:
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if not proxies or not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in _networks(proxies))


def from_trusted_proxy(request) -> bool:
    """True when the direct peer (REMOTE_ADDR) is one of ``settings.TRUSTED_PROXIES`` (addresses or
    CIDR networks, env ``TRUSTED_PROXIES``): only then are X-Forwarded-For and X-Request-ID believed."""
    return _is_trusted(request.META.get("REMOTE_ADDR", ""))


def client_ip(request) -> str:
    """The client's address.  Behind trusted proxies, the right-most X-Forwarded-For hop that is not
    itself a trusted proxy (hops to its left could be written by the client); otherwise REMOTE_ADDR.
    Also django-axes' ``AXES_CLIENT_IP_CALLABLE``, so lockouts see the same address as the audit log."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not from_trusted_proxy(request):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed hop: trust nothing further left
        if not _is_trusted(hop):
            return hop
    return hops[0] if hops else remote


def request_id_for(request) -> str:
    """The id of this request: the proxy's X-Request-ID when the peer is a trusted proxy and the value
    is well formed, else a new one — a client cannot make unrelated audit entries share an id."""
    given = request.headers.get("X-Request-ID", "").strip()
    if given and REQUEST_ID_RE.match(given) and from_trusted_proxy(request):
        return given
    return context.new_request_id()


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and records it for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_for(request)
        request.request_id = rid
        source = "api" if request.path.startswith("/api/") else "web"
        token = context.set_context(context.RequestContext(request_id=rid, ip=client_ip(request), source=source))
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
    """Users whose password is an initial or reset one must change it before anything else.

    Pages redirect to the password change form.  The API (``/api/`` except the docs page) is left to
    DRF: ``core.api.SessionAuthentication`` refuses such a session with 403
    ``password_change_required``, while token clients, which authenticate separately, are not
    affected — the middleware cannot tell which authentication a request will use."""

    ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/", "/healthz", "/jsi18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and getattr(user, "is_machine", False):
            # A machine client never uses pages (it has no password; this guards a stray session).
            from django.http import HttpResponseForbidden

            logout(request)
            return HttpResponseForbidden(_("A machine client may use the API with its token only."))
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and (not request.path.startswith("/api/") or request.path.startswith("/api/docs/"))
        ):
            return redirect("accounts:password_change")
        return self.get_response(request)
