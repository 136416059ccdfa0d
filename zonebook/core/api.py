"""Shared API machinery: scoped viewsets, write permission, error format."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, status
from rest_framework.response import Response

from .errors import DomainError


class PasswordChangeRequired(exceptions.PermissionDenied):
    default_code = "password_change_required"

    def __init__(self):
        super().__init__(
            _("You must change your initial password before using the API. Change it on the web page first."),
            code=self.default_code,
        )


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, refusing a user who still has to change an initial or reset
    password (the web pages redirect such a user; the API answers 403 ``password_change_required``).
    Token authentication is separate: machine clients are not affected."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and getattr(result[0], "must_change_password", False):
            raise PasswordChangeRequired()
        return result


class ScopedWritePermission(permissions.IsAuthenticated):
    """Authenticated users read within their scope; writes need the viewset's ``write_area``."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "kwargs", {}).get(getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")):
            # Detail route: the object is looked up first (out of scope → 404), then checked below.
            return True
        return self._may_write(request, view)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._may_write(request, view)

    @staticmethod
    def _may_write(request, view) -> bool:
        area = getattr(view, "write_area", None)
        return bool(area) and request.user.can_write(area)


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
    if isinstance(exc, PasswordChangeRequired):
        return Response({"code": exc.default_code, "detail": str(exc.detail)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)
