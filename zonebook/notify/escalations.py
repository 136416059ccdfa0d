"""Escalation notices: the SLA engine's notifier (``sla.hooks.set_notifier``), installed by
``NotifyConfig.ready``.

Each fired escalation step notifies its target role: ``handler`` — the deadline's handler;
``unit_head`` — the head of each unit the handler belongs to; ``leader`` — those units' leaders in
charge (or the heads above, ``accounts.units.unit_leaders``).  Recipients are resolved once per
(handler, target) of the run, and every notice of the run is written by one ``notify_many``
(idempotent per escalation and recipient).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.accounts import units as org

from . import registry, services

KIND = "sla.escalated"


def register() -> None:
    registry.register_kind(
        KIND,
        title=_("Deadline escalated: %(policy)s"),
        body=_("The item %(item)s (%(policy)s) was due %(due)s; escalation step %(order)s is addressed to you as %(target)s."),
        label=_("Deadline escalation"),
    )


def recipients(handler_id, target: str, cache: dict) -> set[int]:
    """User ids of ``target`` for a deadline handled by user ``handler_id`` (cached for the run)."""
    key = (handler_id, target)
    if key in cache:
        return cache[key]
    ids: set[int] = set()
    if handler_id is not None:
        if target == "handler":
            ids = {handler_id}
        else:
            from django.contrib.auth import get_user_model

            handler = get_user_model().objects.filter(pk=handler_id).first()
            for unit in org.units_for(handler) if handler is not None else ():
                if target == "unit_head":
                    head = org.unit_head(unit)
                    if head is not None:
                        ids.add(head.pk)
                else:
                    ids.update(u.pk for u in org.unit_leaders(unit))
    cache[key] = ids
    return ids


def notify_escalations(escalations) -> int:
    """The notifier: one notice per fired escalation and recipient; returns how many were created.
    Rows are read as values (no model instances); recipients are resolved once per (handler, role)."""
    from django.contrib.contenttypes.models import ContentType

    from zonebook.sla.models import EscalationStep

    targets = dict(EscalationStep.Target.choices)
    cache: dict = {}
    pending = []
    rows = escalations.filter(deadline__handler__isnull=False).values_list(
        "pk", "target", "step__order", "deadline__handler_id", "deadline__due_at", "deadline__object_id",
        "deadline__content_type_id", "deadline__policy__name",
    )
    for pk, target, order, handler_id, due_at, object_id, ct_id, policy in rows.iterator(chunk_size=5000):
        uids = recipients(handler_id, target, cache)
        if not uids:
            continue
        ct = ContentType.objects.get_for_id(ct_id)
        params = {
            "policy": policy,
            "item": f"{ct.name} #{object_id}",
            "due": due_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") if due_at else "",
            "order": order,
            "target": str(targets.get(target, target)),
        }
        for uid in sorted(uids):
            pending.append(
                services.Pending(
                    recipient_id=uid, kind=KIND, params=params, dedupe_key=f"sla.escalation.{pk}",
                    object_type=f"{ct.app_label}.{ct.model}", object_id=str(object_id),
                )
            )
    return services.notify_many(pending)
