"""Admin edits of the dated reference data, with audit."""

from __future__ import annotations

from django.db import transaction

from zonebook.audit import services as audit

from ._common import full_clean


@transaction.atomic
def save_posting_rule(rule, *, by=None, created: bool = False):
    """Validate and save a PostingRule (or ModeBookKind) edited in the admin; records an audit entry."""
    before = {} if created or rule.pk is None else audit.snapshot(type(rule).objects.get(pk=rule.pk))
    full_clean(rule)
    rule.save()
    code = f"ledger.{rule._meta.model_name}.{'created' if not before else 'updated'}"
    audit.record(
        rule,
        code=code,
        by=by,
        action="create" if not before else "update",
        changes=audit.diff(before, audit.snapshot(rule)),
    )
    return rule
