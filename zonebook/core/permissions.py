"""The one declared way to require a write area or a role — for pages, API views and services.

Read access is governed by scope alone (``core.scoping``); writing needs a *write area* (``registry``,
``ledger``, ``ops``, ``stats`` …) that the user's role carries or that was granted to the user
(``accounts.choices.WRITE_AREAS`` / ``GRANTABLE_AREAS``, checked by ``user.can_write(area)``).

* services and views with an object lookup: ``require_write(user, "registry")`` after the scoped
  lookup (so an object out of scope is 404 before any 403);
* function views: ``@write_required("ops")``; class-based views: ``WriteRequiredMixin`` with
  ``write_area = "ops"``; roles: ``require_role(user, Role.ZONE_LEADER)`` / ``@role_required(...)``;
* API views: ``WriteAreaPermission`` (the project default, ``REST_FRAMEWORK``) with the viewset's
  ``write_area``.  A machine client (API token) may use only the viewsets whose area its token grants
  (``api_area`` or ``write_area``), for reading too.

This module depends only on the user's ``can_write``/``role``/``is_machine`` attributes, so every app
(platform or domain) may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework import permissions


def may_write(user, area: str | None) -> bool:
    """Whether ``user`` may write ``area`` (False for anonymous users and for no area)."""
    if not area or user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.can_write(area))


def require_write(user, area: str | None, message: str | None = None) -> None:
    """Raise ``PermissionDenied`` (403) unless ``user`` may write ``area``."""
    if not may_write(user, area):
        raise PermissionDenied(str(message) if message else _("Your role may not change this data."))


def has_role(user, *roles: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in roles)


def require_role(user, *roles: str, message: str | None = None) -> None:
    """Raise ``PermissionDenied`` unless the user has one of ``roles`` (superusers always pass)."""
    if not has_role(user, *roles):
        raise PermissionDenied(str(message) if message else _("Your role may not do this."))


def write_required(area: str, message: str | None = None) -> Callable:
    """Decorator for function views: login required, then the write area (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_write(request.user, area, message)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def role_required(*roles: str, message: str | None = None) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.user, *roles, message=message)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


class WriteRequiredMixin(LoginRequiredMixin):
    """Class-based views that write: ``write_area`` is required before dispatch."""

    write_area: str | None = None
    write_denied_message: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require_write(request.user, self.write_area, self.write_denied_message)
        return super().dispatch(request, *args, **kwargs)


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
