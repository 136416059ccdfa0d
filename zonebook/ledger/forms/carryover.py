"""Forms of the carry-over pages: parse input only; the services validate and write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class CarryOverCreateForm(forms.Form):
    """Both books are named by their number (备案号): the counterpart's book usually lies outside the
    user's scope, and its number and item sequence come from the paper application.  The user's own
    side (its book in scope) is required; nothing about the counterpart's book is shown beyond whether
    the numbers could be used."""

    number = forms.CharField(
        label=cap(_("application number (申报表编号)")),
        required=False,
        max_length=20,
        help_text=_("Empty = the next JZ + year + serial number."),
    )
    transferor_book = forms.CharField(label=cap(_("transfer-out book number (转出方备案号)")), max_length=12)
    transferor_item = forms.IntegerField(
        label=cap(_("transfer-out product sequence no. (成品序号)")), min_value=1
    )
    transferee_book = forms.CharField(label=cap(_("transfer-in book number (转入方备案号)")), max_length=12)
    transferee_item = forms.IntegerField(
        label=cap(_("transfer-in material sequence no. (料件序号)")), min_value=1
    )
    planned_qty = forms.DecimalField(
        label=cap(_("planned quantity (申报数量)")), max_digits=20, decimal_places=5, min_value=0
    )
    valid_from = forms.DateField(label=cap(_("valid from")), widget=DATE)
    valid_to = forms.DateField(label=cap(_("valid to")), widget=DATE)
    note = forms.CharField(label=cap(_("note")), required=False, max_length=300)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            if name not in ("valid_from", "valid_to"):
                field.widget.attrs.setdefault("class", "form-control")

    def clean(self):
        """Books and items through ``services.carryover.resolve_parties``: precise errors on the user's own
        side, one neutral error about the counterpart's side (which lies outside the user's scope)."""
        from ..services.carryover import resolve_parties

        data = super().clean()
        if any(k in self.errors for k in ("transferor_book", "transferor_item", "transferee_book", "transferee_item")):
            return data
        found, errors = resolve_parties(
            {
                "transferor_book": data.get("transferor_book"),
                "transferor_seq_no": data.get("transferor_item"),
                "transferee_book": data.get("transferee_book"),
                "transferee_seq_no": data.get("transferee_item"),
            },
            self.user,
        )
        for field, message in errors:
            self.add_error(field, message)
        if not errors:
            data.update(found)
        return data


class LinkListForm(forms.Form):
    list_number = forms.CharField(
        label=cap(_("list number (核注清单编号)")),
        max_length=18,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "QD…"}),
        help_text=_(
            "A posted carry-over list (0654/0255) of either book: E lists of the product, I lists of the material."
        ),
    )


class MatchForm(forms.Form):
    halves = forms.CharField(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.shipments = []
        self.receipts = []
        if data is not None:
            self.shipments = [int(v) for v in data.getlist("shipment") if re.fullmatch(r"\d+", v)]
            self.receipts = [int(v) for v in data.getlist("receipt") if re.fullmatch(r"\d+", v)]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=cap(_("note")),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
