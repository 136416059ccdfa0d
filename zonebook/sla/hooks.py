"""Interfaces the SLA engine offers to the rest of the platform.

* ``notifier``: called inside the escalation run's transaction with a QuerySet of the fired
  ``Escalation`` rows (``deadline``, ``deadline.policy`` and ``step`` loaded).  The default logs a
  summary; the notification app installs its own with ``set_notifier`` (it resolves the target
  role — handler, unit head, leader — to users).
* ``register_item_type(model, closed=Q(...))``: how the escalation run recognises an item that was
  closed without its clock being stopped (the escalation is then skipped and logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Q

log = logging.getLogger("zonebook.sla")


def _log_notifier(escalations) -> None:
    """The default: nothing to deliver to (the run itself logs how many fired)."""
    log.debug("sla: no notifier installed; fired escalations are in the history only")


notifier: Callable[[Any], None] = _log_notifier

# model label (app_label.modelname) -> Q selecting the model's closed rows
closed_filters: dict[str, Q] = {}


def set_notifier(fn: Callable[[Any], None] | None) -> None:
    """Install the escalation notifier (``None`` restores the logging default)."""
    global notifier
    notifier = fn or _log_notifier


def register_item_type(model, *, closed: Q) -> None:
    """Declare which rows of ``model`` count as closed (e.g. ``Q(status__in=["done", "withdrawn"])``)."""
    closed_filters[model._meta.label_lower] = closed


def notify(escalations) -> None:
    notifier(escalations)
