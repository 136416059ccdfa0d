"""One FilterSet per customs list: the page, its export and the API use the same one."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from .models import InventoryMessage, Receipt, ReceiptState

STATUS_CHOICES = [
    ("0", _("Approved (审核通过)")),
    ("1", _("Declared (申报)")),
    ("2", _("Returned (退单)")),
    ("3", _("Deleted (删单)")),
]


class MessageFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("List number"),
        method="search",
        help_text=_("List number or enterprise internal number"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="icontains"
    )
    received_from = filters.DateFilter(
        label=cap(_("received from")), field_name="received_at__date", lookup_expr="gte"
    )
    received_to = filters.DateFilter(
        label=cap(_("received to")), field_name="received_at__date", lookup_expr="lte"
    )

    class Meta:
        model = InventoryMessage
        fields = []

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(list_number__icontains=value) | Q(internal_number__icontains=value))


class ReceiptFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("List number"),
        method="search",
        help_text=_("List number, internal number or receipt number"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    state = filters.ChoiceFilter(
        label=cap(_("state")),
        choices=ReceiptState.choices,
        method="by_state",
        empty_label=_("Waiting or held"),
    )
    status = filters.ChoiceFilter(label=cap(_("list status (invtStucd)")), choices=STATUS_CHOICES)
    book_number = filters.CharFilter(
        label=cap(_("book number")), field_name="book__number", lookup_expr="icontains"
    )

    class Meta:
        model = Receipt
        fields = []

    @property
    def qs(self):
        qs = super().qs
        if not (self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("state")):
            qs = qs.exclude(state=ReceiptState.APPLIED)  # the queue: what still needs attention
        return qs

    def by_state(self, queryset, name, value):
        return queryset.filter(state=value) if value else queryset

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(list_number__icontains=value)
            | Q(internal_number__icontains=value)
            | Q(message_id__icontains=value)
        )
