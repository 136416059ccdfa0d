"""Domestic-sale calculator (内销试算): simulates taxes, deferred-tax interest, the rules applied and the
balance effect before filing.  Read-only (nothing is written), scoped: only books the user sees."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zonebook.core.errors import DomainError
from zonebook.core.lists import cap

from ..models import Book
from ..services.duty import CATEGORIES, simulate_domestic_sale

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class DutyCalcForm(forms.Form):
    book = forms.ModelChoiceField(
        label=cap(_("book")),
        queryset=Book.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    item_kind = forms.ChoiceField(
        label=cap(_("item kind")),
        choices=[("material", _("Material (料件)")), ("product", _("Product (成品)"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    seq_no = forms.IntegerField(
        label=cap(_("sequence no. (备案序号)")),
        min_value=1,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    qty = forms.DecimalField(
        label=cap(_("quantity")),
        min_value=0,
        max_digits=20,
        decimal_places=5,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )
    date = forms.DateField(label=cap(_("acceptance / tax-notice date")), widget=DATE)
    category = forms.ChoiceField(
        label=cap(_("category")),
        required=False,
        choices=[("", _("by item kind"))] + [(k, v) for k, v in CATEGORIES.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    variant = forms.ChoiceField(
        label=cap(_("zone variant")),
        required=False,
        choices=[
            ("", _("both, side by side")),
            ("product", _("as presented")),
            ("materials", _("selective levy on materials")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    value = forms.DecimalField(
        label=cap(_("customs value (CNY)")),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text=_("Empty: filed unit price × quantity × exchange rate."),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )
    scrap_hs = forms.CharField(
        label=cap(_("scrap HS code (边角料商品编码)")),
        required=False,
        max_length=10,
        help_text=_("Scrap only: the HS code of the scrap as presented; the value is its assessed price."),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    exchange_rate = forms.DecimalField(
        label=cap(_("exchange rate to CNY")),
        initial=1,
        min_value=0,
        max_digits=12,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )


@login_required
def duty_calculator(request):
    form = DutyCalcForm(request.GET if "book" in request.GET else None, initial={"exchange_rate": 1})
    form.fields["book"].queryset = Book.objects.for_user(request.user).order_by("number")
    result = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            result = simulate_domestic_sale(
                d["book"],
                item_kind=d["item_kind"],
                seq_no=d["seq_no"],
                qty=d["qty"],
                on=d["date"],
                category=d["category"] or None,
                value=d["value"],
                exchange_rate=d["exchange_rate"] or 1,
                variant=d["variant"] or None,
                scrap_hs=d["scrap_hs"] or None,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "ledger/writeoff/duty_calc.html", {"form": form, "result": result}, status=status)
