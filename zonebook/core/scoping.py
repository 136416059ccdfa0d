"""The one scope rule: province > city > zone > enterprise.

Every scoped model declares ``SCOPE_PATHS``: for each scope level, the ORM lookup
path from the model to the value that identifies the scope.  The user carries
the matching values (``user.scope_values()``).  ``ScopedQuerySet.for_user`` is the
only place the rule is applied; every view, API viewset, export and search goes
through it (see ``core.views.ScopedMixin`` and ``core.api.ScopedViewSetMixin``).

Example::

    class Enterprise(models.Model):
        SCOPE_PATHS = {
            "province": "zone__province_code",
            "city": "zone__city_code",
            "zone": "zone_id",
            "enterprise": "id",
        }

A path may also be a tuple of paths: the object is in scope when ANY of them matches (an OR), for
rows that belong to two parties, e.g. a carry-over between a transferring and a receiving book::

    SCOPE_PATHS = {"zone": ("transferor_book__zone_id", "transferee_book__zone_id"), ...}
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

PROVINCE, CITY, ZONE, ENTERPRISE, ALL = "province", "city", "zone", "enterprise", "all"
LEVELS = (ALL, PROVINCE, CITY, ZONE, ENTERPRISE)


def scope_q(paths: dict, user) -> Q | None:
    """The scope rule as a ``Q`` over ``paths`` (a ``SCOPE_PATHS`` dict): ``Q()`` when the user sees
    everything, ``None`` when nothing.  Also used to annotate per-row visibility (``Case(When(q))``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_superuser", False) or getattr(user, "scope_level", None) == ALL:
        return Q()
    level = getattr(user, "scope_level", None)
    path = paths.get(level)
    value = user.scope_values().get(level)
    if path is None or value in (None, ""):
        return None
    if isinstance(path, tuple | list):
        either = Q()
        for p in path:
            either |= Q(**{p: value})
        return either
    return Q(**{path: value})


def apply_scope(qs: models.QuerySet, user) -> models.QuerySet:
    paths = getattr(qs.model, "SCOPE_PATHS", None)
    if paths is None and getattr(user, "is_authenticated", False) and not (
        getattr(user, "is_superuser", False) or getattr(user, "scope_level", None) == ALL
    ):
        raise TypeError(f"{qs.model.__name__} has no SCOPE_PATHS; it cannot be scoped")
    q = scope_q(paths or {}, user)
    if q is None:
        return qs.none()
    return qs.filter(q) if q else qs


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        return apply_scope(self, user)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
