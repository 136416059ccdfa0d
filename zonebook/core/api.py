"""Shared API machinery: scoped viewsets, write permission, error format."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions, parsers, permissions, serializers, status
from rest_framework.response import Response

from .errors import DomainError
from .filters import BIGINT_MAX
from .permissions import may_write


class IdField(serializers.IntegerField):
    """A row id in a request body: a whole number from 1 to the database's 64-bit limit (a larger one
    is a 400 naming the field, never an ``OverflowError``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class SeqNoField(serializers.IntegerField):
    """A sequence or line number (1 … 2³¹−1, the range of the positive integer columns)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(**kwargs)


class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = "password_change_required"

    def __init__(self):
        super().__init__(
            _("You must change your initial password before using the API. Change it on the web page first."),
            code=self.default_code,
        )


class TokenRejected(exceptions.AuthenticationFailed):
    """A bearer token that is unknown, revoked or expired: always 401 with ``WWW-Authenticate``
    (DRF would answer 403 because the first authenticator, the session, sends no such header)."""

    default_code = "token_rejected"
    www_authenticate = 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, refusing a user who still has to change an initial or reset
    password (the web pages redirect such a user; the API answers 403 ``password_change_required``).
    Token authentication is separate: machine clients are not affected."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and getattr(result[0], "is_machine", False):
            return None  # a machine client authenticates with its token only, never with a session
        if result is not None and getattr(result[0], "must_change_password", False):
            raise PasswordChangeRequired()
        return result


class SessionAuthenticationScheme(SessionScheme):
    """OpenAPI: the session cookie, as drf-spectacular documents DRF's own session authentication."""

    target_class = "zonebook.core.api.SessionAuthentication"


# --- the API side of ``core.permissions`` ---------------------------------------------------------------


def _view_area(view) -> str | None:
    return getattr(view, "api_area", None) or getattr(view, "write_area", None)


class WriteAreaPermission(permissions.IsAuthenticated):
    """API: authenticated users read within their scope; writes need the view's ``write_area``.

    A machine client is limited to the views whose area its token grants (reads included)."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(request.user, "is_machine", False) and not may_write(request.user, _view_area(view)):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "kwargs", {}).get(
            getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        ):
            # Detail route: the object is looked up first (out of scope → 404), then checked below.
            return True
        return self._may_write(request, view)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._may_write(request, view)

    def _may_write(self, request, view) -> bool:
        """The write check; a subclass may widen it per action (``ledger.api.carryover``)."""
        return may_write(request.user, getattr(view, "write_area", None))


class AuthenticatedPermission(permissions.IsAuthenticated):
    """For API views without a write area (calculators, the user's own notifications): any signed-in
    person; a machine client only when the view's ``api_area`` is granted to its token."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return not getattr(request.user, "is_machine", False) or may_write(request.user, _view_area(view))


def area_permission(area: str) -> type[WriteAreaPermission]:
    """A permission class for API views that need ``area`` for every method (e.g. an action that
    writes from a GET-less endpoint): ``permission_classes = [area_permission("ops")]``."""

    class _AreaPermission(WriteAreaPermission):
        def has_permission(self, request, view):
            return permissions.IsAuthenticated.has_permission(self, request, view) and may_write(
                request.user, area
            )

        def has_object_permission(self, request, view, obj):
            return may_write(request.user, area)

    _AreaPermission.__name__ = f"AreaPermission_{area}"
    return _AreaPermission


# The old name stays for the viewsets that name it.
ScopedWritePermission = WriteAreaPermission


class ScopedViewSetMixin:
    """Every API queryset goes through ``for_user``: out-of-scope ids are 404, never 403."""

    write_area: str | None = None

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)


def exception_handler(exc, context):
    from .busy import busy_payload, is_busy_error, retry_after

    if is_busy_error(exc):
        from rest_framework.views import set_rollback

        set_rollback()
        return Response(
            busy_payload(), status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(retry_after())}
        )
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": str(exc.message), "errors": exc.as_list()},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, TokenRejected):
        return Response(
            {"code": exc.default_code, "detail": str(exc.detail)},
            status=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": exc.www_authenticate},
        )
    if isinstance(exc, PasswordChangeRequired):
        return Response({"code": exc.default_code, "detail": str(exc.detail)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: ``detail`` (and ``code``/``errors`` for domain errors), or one list of "
    "messages per invalid field.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
ERROR_ANSWERS = {
    "400": "Invalid input: the fields and why, or a domain rule (``code``) that refused it.",
    "401": "Not authenticated.",
    "403": "Authenticated, but the role may not do this.",
    "404": "No such object in your scope.",
}
BODY_MEDIA_ANSWER = "The request body's media type is not one this operation reads."


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers every operation can give, with one
    ``Error`` schema (see ``exception_handler``)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, text in ERROR_ANSWERS.items():  # (a list answers 404 for a page beyond its end)
                operation["responses"].setdefault(code, {"description": text, "content": ref})
            if "requestBody" in operation:  # a body in a media type no parser of the view reads
                operation["responses"].setdefault("415", {"description": BODY_MEDIA_ANSWER, "content": ref})
    return result


# --- request parsers: text with NUL characters is refused before it reaches a query ------------------------


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if hasattr(value, "lists"):  # QueryDict
        return any(_has_nul(k) or _has_nul(v) for k, v in value.lists())
    return False


class _NulSafe:
    """PostgreSQL text cannot hold NUL (0x00): a lookup or write with one fails in the database (a
    server error).  Such input is refused as a 400 here, once for every field of every API body."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        data = getattr(result, "data", result)
        if _has_nul(data):
            raise exceptions.ParseError(_("Text may not contain NUL (0x00) characters."))
        return result


class JSONParser(_NulSafe, parsers.JSONParser):
    pass


class FormParser(_NulSafe, parsers.FormParser):
    pass


class MultiPartParser(_NulSafe, parsers.MultiPartParser):
    pass
