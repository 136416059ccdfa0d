"""Forms of the write-off pages: parse input only; the services validate and write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from ..models import Book
from ..models.writeoff import ReasonCode, SettlementKind

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class WriteOffCreateForm(forms.Form):
    book = forms.ModelChoiceField(label=cap(_("book")), queryset=Book.objects.none())
    start = forms.DateField(label=cap(_("cycle start (报核开始时间)")), widget=DATE)
    end = forms.DateField(label=cap(_("cycle end (报核截止时间)")), widget=DATE)
    threshold_percent = forms.DecimalField(
        label=cap(_("difference threshold %")),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=4,
        help_text=_("|difference rate| above this opens a difference case; empty = the configured default."),
    )
    list_numbers = forms.CharField(
        label=cap(_("lists to include")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_(
            "Optional: list numbers separated by spaces or new lines; empty = every posted list of the cycle."
        ),
    )
    note = forms.CharField(label=cap(_("note")), required=False, max_length=300)

    def __init__(self, *args, books=None, **kwargs):
        super().__init__(*args, **kwargs)
        if books is not None:
            self.fields["book"].queryset = books
        for name, field in self.fields.items():
            if name not in ("start", "end", "list_numbers"):
                field.widget.attrs.setdefault("class", "form-select" if name == "book" else "form-control")

    def clean_list_numbers(self):
        text = self.cleaned_data.get("list_numbers") or ""
        numbers = [n for n in re.split(r"[\s,;]+", text.strip()) if n]
        return numbers or None


class StocktakeUploadForm(forms.Form):
    file = forms.FileField(
        label=cap(_("stocktake file (xlsx or csv)")),
        help_text=_(
            "Columns: kind (material/product), seq_no, part_no (optional), stock, in_transit (materials), "
            "wip, finished, defective, version (products). Chinese headers 类型, 备案序号, 料号, 料件库存, 在途, "
            "在制品, 成品库存, 残次品, 单耗版本号 are accepted too."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )


class TransitionForm(forms.Form):
    note = forms.CharField(
        label=cap(_("note")),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class CaseResolveForm(forms.Form):
    reason_code = forms.ChoiceField(
        label=cap(_("reason (差异原因)")),
        choices=ReasonCode.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    settlement_kind = forms.ChoiceField(
        label=cap(_("settlement")),
        choices=SettlementKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    resolution = forms.CharField(
        label=cap(_("resolution")),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_(
            "What was filed or decided (e.g. the domestic-sale declaration, the consumption change, the explanation)."
        ),
    )
