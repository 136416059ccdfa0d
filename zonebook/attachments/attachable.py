"""Which models can carry attachments, and who may add or remove them.

A domain app registers each of its models once (usually in ``AppConfig.ready``)::

    from zonebook.attachments import attachable
    attachable.register(Enterprise, write_areas=("registry", "enterprise_profile"))

The model must declare ``SCOPE_PATHS`` (core/scoping.py): an attachment is visible to exactly the
users who see its parent row.  Anyone who sees the parent may list and download; adding and deleting
need one of ``write_areas`` (``user.can_write``).  When a parent row is deleted, its attachments
and their files go with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models.signals import post_delete


@dataclass(frozen=True)
class Attachable:
    model: type[models.Model]
    write_areas: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_REGISTRY: dict[str, Attachable] = {}


def register(model: type[models.Model], *, write_areas: tuple[str, ...] | list[str]) -> Attachable:
    if getattr(model, "SCOPE_PATHS", None) is None:
        raise TypeError(f"{model.__name__} has no SCOPE_PATHS; attachments to it could not be scoped")
    entry = Attachable(model, tuple(write_areas))
    _REGISTRY[entry.label] = entry
    post_delete.connect(_parent_deleted, sender=model, dispatch_uid=f"attachments.parent_deleted.{entry.label}")
    return entry


def get(label: str) -> Attachable | None:
    return _REGISTRY.get(label.lower())


def for_model(model) -> Attachable | None:
    return _REGISTRY.get(model._meta.label_lower)


def all_registered() -> list[Attachable]:
    return list(_REGISTRY.values())


def may_write(user, parent_or_model) -> bool:
    entry = for_model(parent_or_model)
    if entry is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(user.can_write(area) for area in entry.write_areas)


def _parent_deleted(sender, instance, **kwargs):
    from . import services

    services.delete_for_parent(instance)
