"""Escalation notices: the SLA engine's notifier (``sla.hooks.set_notifier``), installed by
``NotifyConfig.ready``.

Each fired escalation step notifies its target role: ``handler`` — the deadline's handler;
``unit_head`` — the head of each unit the handler belongs to; ``leader`` — those units' leaders in
charge (or the heads above, ``accounts.units.unit_leaders``).  Recipients are resolved once per
(handler, target) of the run, and every notice of the run is written by one ``notify_many``
(idempotent per escalation and recipient).
"""

from __future__ import annotations

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


def recipients(handler, target: str, cache: dict) -> set[int]:
    """User ids of ``target`` for a deadline handled by ``handler`` (cached for the run)."""
    key = (getattr(handler, "pk", None), target)
    if key in cache:
        return cache[key]
    ids: set[int] = set()
    if handler is not None:
        if target == "handler":
            ids = {handler.pk}
        else:
            for unit in org.units_for(handler):
                if target == "unit_head":
                    head = org.unit_head(unit)
                    if head is not None:
                        ids.add(head.pk)
                else:
                    ids.update(u.pk for u in org.unit_leaders(unit))
    cache[key] = ids
    return ids


def notify_escalations(escalations) -> int:
    """The notifier: one notice per fired escalation and recipient; returns how many were created."""
    from zonebook.sla.models import EscalationStep

    targets = dict(EscalationStep.Target.choices)
    cache: dict = {}
    pending = []
    rows = escalations.select_related("deadline__policy", "deadline__handler", "deadline__content_type", "step")
    for e in rows:
        d = e.deadline
        params = {
            "policy": d.policy.name,
            "item": f"{d.content_type.name} #{d.object_id}",
            "due": d.due_at.strftime("%Y-%m-%d %H:%M") if d.due_at else "",
            "order": e.step.order,
            "target": str(targets.get(e.target, e.target)),
        }
        for uid in sorted(recipients(d.handler, e.target, cache)):
            pending.append(
                services.Pending(
                    recipient_id=uid,
                    kind=KIND,
                    params=params,
                    dedupe_key=f"sla.escalation.{e.pk}",
                    object_type=f"{d.content_type.app_label}.{d.content_type.model}",
                    object_id=str(d.object_id),
                )
            )
    return services.notify_many(pending)
