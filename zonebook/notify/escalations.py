"""Escalation notices: the SLA engine's notifier (``sla.hooks.set_notifier``), installed by
``NotifyConfig.ready``.

Each fired escalation step notifies its target role: ``handler`` — the deadline's handler;
``unit_head`` — the head of each unit the handler belongs to; ``leader`` — those units' leaders in
charge (or the heads above, ``accounts.units.unit_leaders``).  Recipients are resolved once per
(handler, target) of the run, and each recipient gets one digest notice per run (idempotent per run
and recipient), written by one ``notify_many``.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.accounts import units as org

from . import registry, services

KIND = "sla.escalated"
MAX_NAMED = 5  # items named in one digest notice


def register() -> None:
    registry.register_kind(
        KIND,
        title=_("Deadlines escalated: %(count)s item(s)"),
        body=_("%(count)s item(s) passed an escalation step addressed to you as %(roles)s: %(items)s"),
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
    """The notifier: each recipient gets ONE notice per run (a digest: how many of the items they handle
    or supervise passed an escalation step, the first few named), not one per item — a run that fires
    thousands of steps does not flood the bell.  Grouped in SQL by (handler, role); recipients resolved
    once per group; one ``notify_many``.  Returns the number of notices created."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from zonebook.sla.models import EscalationStep

    targets = dict(EscalationStep.Target.choices)
    fired = escalations.filter(deadline__handler__isnull=False)
    groups = list(
        fired.values("deadline__handler_id", "target").annotate(n=Count("pk")).order_by("deadline__handler_id", "target")
    )
    if not groups:
        return 0
    run = fired.values_list("run", flat=True).first() or ""
    cache: dict = {}
    per_user: dict[int, dict] = {}
    for g in groups:
        handler_id, target, n = g["deadline__handler_id"], g["target"], g["n"]
        uids = recipients(handler_id, target, cache)
        if not uids:
            continue
        sample = fired.filter(deadline__handler_id=handler_id, target=target).order_by("deadline__due_at", "pk")
        items = []
        for object_id, ct_id, policy, due_at in sample.values_list(
            "deadline__object_id", "deadline__content_type_id", "deadline__policy__name", "deadline__due_at"
        )[:MAX_NAMED]:
            ct = ContentType.objects.get_for_id(ct_id)
            due = due_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") if due_at else ""
            items.append(f"{policy} · {ct.name} #{object_id} · {due}")
        for uid in uids:
            d = per_user.setdefault(uid, {"count": 0, "roles": [], "items": []})
            d["count"] += n
            role = str(targets.get(target, target))
            if role not in d["roles"]:
                d["roles"].append(role)
            d["items"] = (d["items"] + items)[:MAX_NAMED]
    pending = [
        services.Pending(
            recipient_id=uid,
            kind=KIND,
            params={"count": d["count"], "roles": "、".join(d["roles"]), "items": "；".join(d["items"])},
            dedupe_key=f"sla.escalation.{run}.{uid}",
        )
        for uid, d in sorted(per_user.items())
    ]
    return services.notify_many(pending)
