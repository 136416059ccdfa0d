"""The checks a list header must pass to be created, submitted and posted: the book accepts lists on
the date, the supervision mode is allowed on the book, one posting rule applies.  ``Tables`` loads
the reference rows once for a batch of lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

from ...choices import POSTABLE_BOOK_STATUSES, BookStatus, ItemKind, NegativeBalancePolicy
from ...models import Book, ModeBookKind, PostingRule


def negative_policy() -> str:
    return settings.ZONEBOOK.get("LEDGER_NEGATIVE_BALANCE", NegativeBalancePolicy.REFUSE)


def check_book_accepts(book: Book, on: dt.date, locked_writeoffs: Sequence | None = None) -> None:
    """A list needs a filed/in-use book that has not expired on the declaration date.
    ``locked_writeoffs``: the book's submitted/accepted/closed write-offs, preloaded by a batch."""
    if book.status not in POSTABLE_BOOK_STATUSES:
        raise DomainError(
            _("Book %(number)s is %(status)s: it accepts no inventory lists.")
            % {"number": book.number, "status": BookStatus(book.status).label},
            code="book_not_open",
            field="book",
        )
    if book.valid_until and on > book.valid_until:
        raise DomainError(
            _("Book %(number)s expired on %(date)s; the list is declared on %(on)s.")
            % {"number": book.number, "date": book.valid_until, "on": on},
            code="book_expired",
            field="declaration_date",
        )
    from ..writeoff import check_cycle_open  # a submitted/accepted/closed write-off locks its cycle

    check_cycle_open(book, on, locked_writeoffs)


def _in_force(row, on: dt.date) -> bool:
    return row.valid_from <= on and (row.valid_to is None or row.valid_to >= on)


def check_mode_allowed(
    book: Book, mode: str, on: dt.date, table: Sequence[ModeBookKind] | None = None
) -> None:
    """``table``: preloaded ModeBookKind rows (a batch loads them once); else one query."""
    if table is None:
        rows = ModeBookKind.objects.filter(supervision_mode=mode, valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
        kinds = "".join(rows.values_list("book_kinds", flat=True))
    else:
        kinds = "".join(r.book_kinds for r in table if r.supervision_mode == mode and _in_force(r, on))
    if book.kind not in kinds:
        raise DomainError(
            _("Supervision mode %(mode)s is not allowed on %(kind)s books (allowed: %(allowed)s).")
            % {"mode": mode, "kind": book.kind, "allowed": " ".join(kinds) or _("none")},
            code="mode_not_allowed",
            field="supervision_mode",
        )


def find_rule(
    mode: str, ie_mark: str, item_kind: str, on: dt.date, table: Sequence[PostingRule] | None = None
) -> PostingRule:
    """``table``: preloaded posting rules (a batch loads them once); else one query."""
    if table is None:
        rules = list(
            PostingRule.objects.filter(
                supervision_mode=mode, ie_mark=ie_mark, item_kind=item_kind, valid_from__lte=on
            ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))[:2]
        )
    else:
        rules = [
            r
            for r in table
            if (r.supervision_mode, r.ie_mark, r.item_kind) == (mode, ie_mark, item_kind) and _in_force(r, on)
        ][:2]
    if len(rules) != 1:
        raise DomainError(
            _("No single posting rule for supervision mode %(mode)s, %(ie)s, %(kind)s on %(on)s.")
            % {
                "mode": mode,
                "ie": ie_mark,
                "kind": ItemKind(item_kind).label if item_kind in ItemKind.values else item_kind,
                "on": on,
            },
            code="no_rule",
            field="supervision_mode",
        )
    return rules[0]


class Tables:
    """The reference rows every list of a batch is checked against, loaded once."""

    def __init__(self, book: Book, modes):
        from ..writeoff import locked_writeoffs

        modes = set(modes)
        self.modes = list(ModeBookKind.objects.filter(supervision_mode__in=modes))
        self.rules = list(PostingRule.objects.filter(supervision_mode__in=modes))
        self.locked = locked_writeoffs(book.pk)

    def check(self, book: Book, h: Mapping) -> PostingRule:
        on = h["declaration_date"]
        check_book_accepts(book, on, self.locked)
        check_mode_allowed(book, str(h.get("supervision_mode") or ""), on, self.modes)
        return find_rule(h["supervision_mode"], h["ie_mark"], h["item_kind"], on, self.rules)
