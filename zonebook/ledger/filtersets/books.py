"""One FilterSet per ledger list: used by the list page, its HTMX partial, the export and the API."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.core.filters import IntegerFilter
from zonebook.core.lists import cap
from zonebook.registry.filtersets import EnterpriseFilter, scoped_zones

from .. import queries
from ..choices import BookKind, BookStatus, DeclarationStatus, IEMark, ItemKind, ListState
from ..models import Balance, Book, BookItem, Consumption, InventoryList


def _user(request):
    return getattr(request, "user", None)


def scoped_books(request):
    if request is None:
        return Book.objects.none()
    return Book.objects.for_user(_user(request)).only("id", "number")


def expiry_choices():
    """Deadline windows: past, "N" = due within N days (overdue included), "A-B" = due in A to B days.

    The oversight page links its red/amber figures here, so the windows follow the configured
    thresholds (settings.ZONEBOOK LEDGER_EXPIRY_RED_DAYS / LEDGER_EXPIRY_AMBER_DAYS).
    """
    red, amber = queries.red_days(), queries.amber_days()
    choices = [
        ("expired", _("Expired")),
        (str(red), _("Due within %(n)d days (red)") % {"n": red}),
        (f"{red + 1}-{amber}", _("Due in %(a)d to %(b)d days (amber)") % {"a": red + 1, "b": amber}),
    ]
    for n in (30, 60, 90, 180):
        if str(n) not in {c for c, _l in choices}:
            choices.append((str(n), _("Due within %(n)d days") % {"n": n}))
    return choices


def filter_expiry(queryset, field: str, value: str):
    """Books whose date ``field`` has passed (``expired``), is due within N days or in A–B days."""
    if not value:
        return queryset
    today = timezone.localdate()
    if value == "expired":
        return queryset.filter(**{f"{field}__lt": today})
    try:
        if "-" in value:
            a, b = (int(x) for x in value.split("-", 1))
            return queryset.filter(
                **{
                    f"{field}__gte": today + dt.timedelta(days=a),
                    f"{field}__lte": today + dt.timedelta(days=b),
                }
            )
        days = int(value)
    except ValueError:
        return queryset.none()
    return queryset.filter(**{f"{field}__lte": today + dt.timedelta(days=days)})


class BookFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    enterprise = EnterpriseFilter(
        label=cap(_("enterprise")),
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones)
    kind = filters.ChoiceFilter(label=cap(_("book kind")), choices=BookKind.choices)
    status = filters.ChoiceFilter(label=cap(_("status")), choices=BookStatus.choices)
    expiry = filters.ChoiceFilter(
        label=cap(_("valid until")), choices=expiry_choices, method="filter_valid_until"
    )
    writeoff = filters.ChoiceFilter(
        label=cap(_("write-off deadline")), choices=expiry_choices, method="filter_writeoff"
    )
    deadline = filters.ChoiceFilter(
        label=cap(_("validity or write-off deadline")), choices=expiry_choices, method="filter_deadline"
    )
    open = filters.BooleanFilter(
        label=cap(_("open books only")), method="filter_open", widget=forms.HiddenInput
    )
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("number", "number"),
            ("kind", "kind"),
            ("enterprise__name", "enterprise"),
            ("zone__short_name", "zone"),
            ("status", "status"),
            ("valid_until", "valid_until"),
            ("cycle_end", "cycle_end"),
            ("change_count", "change_count"),
        ),
    )

    class Meta:
        model = Book
        fields = ["q", "enterprise", "zone", "kind", "status", "expiry", "writeoff", "deadline"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(enterprise__name__icontains=value))

    def filter_valid_until(self, queryset, name, value: str):
        return filter_expiry(queryset, "valid_until", value)

    def filter_writeoff(self, queryset, name, value: str):
        return filter_expiry(queryset, "cycle_end", value)

    def filter_deadline(self, queryset, name, value: str):
        """Either date in the window (the oversight page's per-zone red/amber counts); "A-B" excludes books
        that are already red by the other date."""
        if not value:
            return queryset
        either = filter_expiry(queryset, "valid_until", value) | filter_expiry(queryset, "cycle_end", value)
        if "-" in value:
            red = str(int(value.split("-", 1)[0]) - 1)
            either = either.exclude(pk__in=filter_expiry(queryset, "valid_until", red).values("pk")).exclude(
                pk__in=filter_expiry(queryset, "cycle_end", red).values("pk")
            )
        return either

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.exclude(status=BookStatus.CLOSED)
        return queryset


class InventoryListFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("List number"),
        method="search",
        help_text=_("List number or enterprise internal number"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    book = filters.ModelChoiceFilter(label=cap(_("book")), queryset=scoped_books, widget=forms.HiddenInput)
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="icontains"
    )
    enterprise = EnterpriseFilter(
        label=cap(_("enterprise")),
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones, field_name="book__zone")
    ie_mark = filters.ChoiceFilter(label=cap(_("I/E mark")), choices=IEMark.choices)
    supervision_mode = filters.CharFilter(label=cap(_("supervision mode")))
    item_kind = filters.ChoiceFilter(label=cap(_("material/product mark")), choices=ItemKind.choices)
    state = filters.ChoiceFilter(
        label=cap(_("state")), choices=[c for c in ListState.choices if c[0] != ListState.IMPORTING]
    )
    date_from = filters.DateFilter(
        label=cap(_("declared from")), field_name="declaration_date", lookup_expr="gte"
    )
    date_to = filters.DateFilter(
        label=cap(_("declared to")), field_name="declaration_date", lookup_expr="lte"
    )
    posted_from = filters.DateFilter(
        label=cap(_("posted from")), field_name="posted_at__date", lookup_expr="gte"
    )
    posted_to = filters.DateFilter(label=cap(_("posted to")), field_name="posted_at__date", lookup_expr="lte")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("number", "number"),
            ("book__number", "book"),
            ("enterprise__name", "enterprise"),
            ("declaration_date", "declaration_date"),
            ("state", "state"),
            ("posted_at", "posted_at"),
            ("supervision_mode", "supervision_mode"),
        ),
    )

    class Meta:
        model = InventoryList
        fields = [
            "q",
            "book",
            "book_number",
            "enterprise",
            "zone",
            "ie_mark",
            "supervision_mode",
            "item_kind",
            "state",
            "date_from",
            "date_to",
            "posted_from",
            "posted_to",
        ]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(internal_number__icontains=value))


class BalanceLevel:
    NEGATIVE = "negative"
    NEAR_ZERO = "near_zero"
    LOW = "low"  # negative or near zero
    CHOICES = [
        ("negative", _("Negative")),
        ("near_zero", _("Near zero")),
        ("low", _("Negative or near zero")),
    ]


class BalanceFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Part no., name or HS code"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    book = filters.ModelChoiceFilter(label=cap(_("book")), queryset=scoped_books, widget=forms.HiddenInput)
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="icontains"
    )
    enterprise = EnterpriseFilter(label=cap(_("enterprise")), field_name="book__enterprise")
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), queryset=scoped_zones, field_name="book__zone")
    kind = filters.ChoiceFilter(label=cap(_("item kind")), choices=ItemKind.choices, field_name="item__kind")
    level = filters.ChoiceFilter(
        label=cap(_("balance level")), choices=BalanceLevel.CHOICES, method="filter_level"
    )
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("book__number", "book"),
            ("item__seq_no", "seq_no"),
            ("item__part_no", "part_no"),
            ("expected_remaining", "expected_remaining"),
            ("scrap_balance", "scrap_balance"),
            ("consumption", "consumption"),
            ("imports", "imports"),
        ),
    )

    class Meta:
        model = Balance
        fields = ["q", "book", "book_number", "enterprise", "zone", "kind", "level"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(item__part_no__icontains=value)
            | Q(item__name__icontains=value)
            | Q(item__hs_code__startswith=value)
        )

    def filter_level(self, queryset, name, value):
        if value == BalanceLevel.NEGATIVE:
            return queryset.filter(queries.negative_q())
        if value == BalanceLevel.NEAR_ZERO:
            return queryset.filter(queries.near_zero_q())
        if value == BalanceLevel.LOW:
            return queryset.filter(queries.negative_q() | queries.near_zero_q())
        return queryset


class BookItemFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"type": "search"})
    )
    book = filters.ModelChoiceFilter(label=cap(_("book")), queryset=scoped_books, widget=forms.HiddenInput)
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="iexact"
    )
    kind = filters.ChoiceFilter(label=cap(_("item kind")), choices=ItemKind.choices)
    hs_code = filters.CharFilter(label=cap(_("HS code")), lookup_expr="startswith")
    sort = filters.OrderingFilter(
        label=_("Sort"), fields=(("seq_no", "seq_no"), ("part_no", "part_no"), ("hs_code", "hs_code"))
    )

    class Meta:
        model = BookItem
        fields = ["q", "book", "book_number", "kind", "hs_code"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(part_no__icontains=value) | Q(name__icontains=value))


class ConsumptionFilterSet(filters.FilterSet):
    book = filters.ModelChoiceFilter(label=cap(_("book")), queryset=scoped_books, widget=forms.HiddenInput)
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="iexact"
    )
    product_seq_no = IntegerFilter(
        label=cap(_("product sequence no.")), field_name="product__seq_no", min_value=1, max_value=2**31 - 1
    )
    material_seq_no = IntegerFilter(
        label=cap(_("material sequence no.")), field_name="material__seq_no", min_value=1, max_value=2**31 - 1
    )
    version = filters.CharFilter(label=cap(_("consumption version")))
    declaration_status = filters.ChoiceFilter(
        label=cap(_("declaration status")), choices=DeclarationStatus.choices
    )
    in_force_on = filters.DateFilter(label=cap(_("in force on")), method="filter_in_force")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("product__seq_no", "product"), ("material__seq_no", "material"), ("version", "version")),
    )

    class Meta:
        model = Consumption
        fields = ["book", "book_number", "product_seq_no", "material_seq_no", "version", "declaration_status"]

    def filter_in_force(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=value)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=value)
        )


__all__ = [
    "BalanceFilterSet",
    "BookFilterSet",
    "BookItemFilterSet",
    "ConsumptionFilterSet",
    "InventoryListFilterSet",
]
