"""Every write of the notify app, and the lookups other modules call.

* ``notify(users, kind, params, obj=None)`` — one notification per user (bulk, idempotent through the
  dedupe key), recorded in the audit log (``notify.sent``), e-mailed when ``NOTIFY_EMAIL`` is on;
* ``notify_many(items)`` — the same for many (user, kind, params, …) rows at once (set-based senders
  such as the daily alerts run);
* ``responsible_users(obj or scope)`` / ``responsible_user_rows(enterprise_ids, zone_ids)`` — who is
  responsible for a record: the enterprise's users and the zone office's staff and leaders;
* ``mark_read`` / ``mark_all_read`` — personal reading state (not audited: it changes no data).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from zonebook.accounts.choices import Role, ScopeLevel
from zonebook.audit import services as audit

from . import registry
from .models import Notification

log = logging.getLogger(__name__)
ZONE_OFFICE_ROLES = (Role.ZONE_STAFF, Role.ZONE_LEADER)
CHUNK = 2000
EMAIL_RETRY = dt.timedelta(hours=24)  # a failed mail is retried by the sends of the next 24 hours


@dataclass
class Pending:
    """One notification to create (``notify_many``)."""

    recipient_id: int
    kind: str
    params: dict = field(default_factory=dict)
    dedupe_key: str = ""
    url: str = ""
    object_type: str = ""
    object_id: str = ""


# ------------------------------------------------------------------ responsible users


def _scope_of(obj_or_scope) -> Mapping[str, Any]:
    if obj_or_scope is None:
        return {}
    if isinstance(obj_or_scope, Mapping):
        return obj_or_scope
    if hasattr(obj_or_scope, "audit_scope"):
        return obj_or_scope.audit_scope() or {}
    raise TypeError(f"responsible_users() needs an object with audit_scope() or a scope dict, not {obj_or_scope!r}")


def responsible_user_rows(enterprise_ids: Iterable[int], zone_ids: Iterable[int]):
    """(id, scope level, enterprise id, zone id) of the active enterprise users of the enterprises and
    the zone-office users (staff, leaders) of the zones — one query, for set-based senders."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(scope_level=ScopeLevel.ENTERPRISE, role=Role.ENTERPRISE, enterprise_id__in=list(enterprise_ids))
            | Q(scope_level=ScopeLevel.ZONE, role__in=ZONE_OFFICE_ROLES, zone_id__in=list(zone_ids))
        )
        .values_list("id", "scope_level", "enterprise_id", "zone_id")
    )


def responsible_users(obj_or_scope):
    """The users responsible for a record (anything with ``audit_scope()``) or a scope dict
    (``{"zone": id, "enterprise": id}``): the enterprise's own users and the zone office's staff and
    leaders.  A queryset of users (one query when evaluated)."""
    scope = _scope_of(obj_or_scope)
    ent, zone = scope.get("enterprise"), scope.get("zone")
    ids = responsible_user_rows([ent] if ent else [], [zone] if zone else [])
    return get_user_model().objects.filter(pk__in=ids.values("id")).order_by("pk")


# ------------------------------------------------------------------ sending


def notify(users, kind: str, params: Mapping | None = None, obj=None, *, dedupe_key: str = "", url: str | None = None,
           by=None) -> int:
    """Notify ``users`` (users or user ids) of ``kind`` with ``params``; returns how many were created.

    The link is built by the kind's registered ``link(obj, params)`` unless ``url`` is given; ``obj``
    is also stored as the notification's object.  Without a ``dedupe_key`` every call notifies again;
    with one, each user is notified once per key.
    """
    kind_obj = registry.get_kind(kind)
    params = dict(params or {})
    link = url if url is not None else kind_obj.build_link(obj, params)
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    key = dedupe_key or f"{kind}:{object_type}:{object_id}:{timezone.now().isoformat()}"
    items = [
        Pending(
            recipient_id=getattr(u, "pk", u),
            kind=kind,
            params=params,
            dedupe_key=key,
            url=link,
            object_type=object_type,
            object_id=object_id,
        )
        for u in users
    ]
    return notify_many(items, by=by)


def notify_many(items: Iterable[Pending], *, by=None, audit_changes: Mapping | None = None) -> int:
    """Create the pending notifications (unknown kinds refused before anything is written), idempotent
    per (recipient, dedupe key); one audit entry; returns the number created."""
    items = list(items)
    if not items:
        return 0
    for code in {i.kind for i in items}:
        registry.get_kind(code)
    now = timezone.now()
    objs = [
        Notification(
            recipient_id=i.recipient_id,
            kind=i.kind,
            params=i.params,
            url=i.url[:300],
            object_type=i.object_type,
            object_id=i.object_id,
            dedupe_key=i.dedupe_key[:120],
        )
        for i in items
    ]
    with transaction.atomic():
        before = Notification.objects.count()
        Notification.objects.bulk_create(objs, batch_size=CHUNK, ignore_conflicts=True)
        created = Notification.objects.count() - before
        kinds = sorted({i.kind for i in items})
        audit.record_event(
            "notify.sent",
            by=by,
            message=f"{created} notifications",
            changes={"kinds": kinds, "candidates": len(objs), "created": created, **(audit_changes or {})},
        )
        if created and email_enabled():
            # this batch, plus earlier rows whose mail failed within the retry window
            transaction.on_commit(lambda: send_pending_email(since=now - EMAIL_RETRY))
    return created


# ------------------------------------------------------------------ e-mail


def email_enabled() -> bool:
    return bool(getattr(settings, "NOTIFY_EMAIL", False))


def send_pending_email(since=None) -> int:
    """E-mail every not yet e-mailed notification (created since ``since``) to recipients with an
    address, in the installation's language, through Django's mail settings (EMAIL_HOST …).  Rows
    are marked ``emailed_at`` so each goes out once; a failing SMTP server is logged, not raised
    (the in-app notification stands) and the rows are retried by the sends of the next
    ``EMAIL_RETRY`` (or by calling this without ``since``)."""
    if not email_enabled():
        return 0
    qs = (
        Notification.objects.filter(emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("id")
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    sent_ids = []
    messages = []
    prefix = getattr(settings, "EMAIL_SUBJECT_PREFIX", "")
    with translation.override(settings.LANGUAGE_CODE):
        for n in qs[:CHUNK * 5]:
            body = n.body
            if n.url:
                base = getattr(settings, "NOTIFY_BASE_URL", "").rstrip("/")
                body = f"{body}\n\n{base}{n.url}" if body else f"{base}{n.url}"
            messages.append(EmailMessage(f"{prefix}{n.title}"[:250], body, to=[n.recipient.email]))
            sent_ids.append(n.pk)
    if not messages:
        return 0
    try:
        with get_connection() as conn:
            conn.send_messages(messages)
    except Exception:  # noqa: BLE001 - SMTP down: keep the in-app notifications, retry next time
        log.exception("notification e-mail failed (%d messages)", len(messages))
        return 0
    Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
    return len(messages)


# ------------------------------------------------------------------ reading


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


def mark_read(notification: Notification) -> bool:
    """Mark one of the user's notifications read; returns whether it changed."""
    return bool(
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    )


def mark_all_read(user) -> int:
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())
