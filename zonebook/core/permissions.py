"""The one declared way to require a write area or a role — for pages, API views and services.

Read access is governed by scope alone (``core.scoping``); writing needs a *write area* (``registry``,
``ledger``, ``ops``, ``stats`` …) that the user's role carries or that was granted to the user
(``accounts.choices.WRITE_AREAS`` / ``GRANTABLE_AREAS``, checked by ``user.can_write(area)``).

* services and views with an object lookup: ``require_write(user, "registry")`` after the scoped
  lookup (so an object out of scope is 404 before any 403);
* function views: ``@write_required("ops")``; class-based views: ``WriteRequiredMixin`` with
  ``write_area = "ops"``; roles: ``require_role(user, Role.ZONE_LEADER)`` / ``@role_required(...)``;
* API views: ``core.api.WriteAreaPermission`` (the project default, ``REST_FRAMEWORK``) with the
  viewset's ``write_area`` — it calls ``may_write`` below (it lives in ``core.api`` so that services
  importing this module never import DRF).  A machine client (API token) may use only the viewsets whose area its token grants
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
