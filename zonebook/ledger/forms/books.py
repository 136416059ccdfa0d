"""Forms of the ledger pages: the inventory-list entry form (header + line grid) and the reversal form.

The forms only parse input; the services validate against the book and write.  Service errors
(``DomainError`` with ``RowError`` details) are mapped back onto the header field or the grid row
and column they name, so the page re-renders with everything the user typed and the error in place.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zonebook.core.errors import DomainError
from zonebook.core.forms import BootstrapForm, BootstrapFormMixin
from zonebook.core.lists import cap

from .. import lines as line_spec
from ..choices import IEMark, ItemKind
from ..lines import FORM_LINE

# The grid's columns, from the one line specification (ledger/lines.py).
LINE_FIELDS = FORM_LINE
HEADER_FIELDS = (
    "number",
    "internal_number",
    "ie_mark",
    "supervision_mode",
    "item_kind",
    "declaration_date",
    "customs_declaration_no",
    "note",
)
EXTRA_ROWS = 8
MAX_ROWS = 1000


class InventoryListHeaderForm(BootstrapForm):
    number = forms.CharField(
        label=cap(_("list number (清单编号)")),
        max_length=18,
        help_text=_("18 characters: QD + customs code (4) + year (2) + I/E + serial (9)"),
    )
    internal_number = forms.CharField(
        label=cap(_("enterprise internal number")), max_length=64, required=False
    )
    ie_mark = forms.ChoiceField(label=cap(_("I/E mark")), choices=IEMark.choices)
    supervision_mode = forms.CharField(
        label=cap(_("supervision mode (监管方式)")), max_length=4, min_length=4
    )
    item_kind = forms.ChoiceField(
        label=cap(_("material/product mark (料件成品标记)")), choices=ItemKind.choices
    )
    declaration_date = forms.DateField(
        label=cap(_("declaration date")),
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d"),
    )
    customs_declaration_no = forms.CharField(
        label=cap(_("customs declaration no.")), max_length=18, required=False
    )
    note = forms.CharField(label=cap(_("note")), max_length=300, required=False)

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()

    def header(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "") or k in ("number",)}


class LineFormBase(BootstrapFormMixin, forms.Form):
    # The stored line's number (hidden): the service merges an edited row with the stored line by
    # it, so the fields the grid does not show (declared name, second legal quantity…) are kept.
    line_no = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    grid: tuple[str, ...] = LINE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs["class"] = (f.widget.attrs.get("class", "") + " form-control-sm").strip()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return all(data.get(k) in (None, "") for k in self.grid)

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            if data.get("item_seq_no") in (None, ""):
                self.add_error("item_seq_no", _("Enter the item's sequence number."))
            if data.get("qty") in (None, ""):
                self.add_error("qty", _("Enter a quantity."))
            elif data["qty"] <= 0:
                self.add_error("qty", _("The quantity must be greater than zero."))
        return data

    def line(self) -> dict:
        """Every grid column (a cleared cell is given as empty, so that it clears the stored value),
        plus the stored line number when the row shows a stored line."""
        out = {k: self.cleaned_data.get(k) for k in self.grid}
        if self.cleaned_data.get("line_no"):
            out["line_no"] = self.cleaned_data["line_no"]
        return out


def line_form_class(spec=None) -> type[LineFormBase]:
    """The grid's row form, its fields derived from the line specification (``lines.form_fields``)."""
    fields = line_spec.form_fields(spec)
    if "item_seq_no" in fields:  # picks from the book's items (the page's datalist)
        fields["item_seq_no"].widget = forms.NumberInput(
            attrs={"list": "book-items", "class": "form-control-sm"}
        )
    grid = line_spec.form_line(spec)
    return type("LineForm", (LineFormBase,), {**fields, "grid": grid, "__module__": __name__})


LineForm = line_form_class()


class BaseLineFormSet(forms.BaseFormSet):
    def filled(self) -> list[tuple[int, LineForm]]:
        """(line number, form) of the non-blank rows, in order; line numbers count only filled rows."""
        out = []
        for form in self.forms:
            if form.is_valid() and not form.is_blank():
                out.append((len(out) + 1, form))
        return out

    def clean(self):
        if any(self.errors):
            return
        if not any(not f.is_blank() for f in self.forms):
            raise forms.ValidationError(_("An inventory list needs at least one line."))


LineFormSet = forms.formset_factory(
    LineForm,
    formset=BaseLineFormSet,
    extra=EXTRA_ROWS,
    max_num=MAX_ROWS,
    validate_max=True,
    absolute_max=MAX_ROWS,
)


def line_formset(data=None, initial=None, extra_rows: int = 0):
    cls = forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=EXTRA_ROWS + max(0, min(extra_rows, 200)),
        max_num=MAX_ROWS,
        validate_max=True,
        absolute_max=MAX_ROWS,
    )
    return cls(data, initial=initial, prefix="lines")


def apply_list_error(exc: DomainError, header_form: forms.Form, formset: BaseLineFormSet) -> None:
    """Put a service error where it belongs: a grid cell (row/column), a header field, or the form."""
    rows = dict(formset.filled())
    placed = False
    for d in exc.details or []:
        row, column = getattr(d, "row", None), getattr(d, "column", "")
        form = rows.get(row) if row else None
        if form is not None:
            field = column if column in form.fields else None
            _add(form, field, d.reason)
            placed = True
    if placed:
        n = len(exc.details)
        formset._non_form_errors = formset.error_class(
            [
                ngettext(
                    "%(n)d problem in the lines: see the marked row.",
                    "%(n)d problems in the lines: see the marked rows.",
                    n,
                )
                % {"n": n}
            ]
        )
        return
    field = exc.field if exc.field in header_form.fields else None
    if exc.field == "lines" and not exc.details:
        formset._non_form_errors = formset.error_class([str(exc.message)])
        return
    _add(header_form, field, str(exc.message))


def _add(form, field, message):
    form.add_error(field, message)
    if field and field in form.fields:
        w = form.fields[field].widget
        if "is-invalid" not in w.attrs.get("class", ""):
            w.attrs["class"] = (w.attrs.get("class", "") + " is-invalid").strip()


class ReceiptForm(BootstrapForm):
    """Customs' approval receipt (回执) recorded when a list is posted (核扣)."""

    receipt_number = forms.CharField(
        label=cap(_("customs receipt number (回执编号)")),
        max_length=64,
        help_text=_("As printed on customs' approval receipt for this list."),
    )
    receipt_date = forms.DateField(
        label=cap(_("customs receipt date (回执日期)")),
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d"),
    )

    def clean_receipt_number(self):
        return self.cleaned_data["receipt_number"].strip()


class ReverseForm(BootstrapForm):
    number = forms.CharField(
        label=cap(_("number of the reversing list")),
        max_length=18,
        help_text=_("A new list number with the same I/E letter as the original."),
    )
    declaration_date = forms.DateField(
        label=cap(_("declaration date")),
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d"),
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()


class ConfirmForm(forms.Form):
    """The confirmation page posts this; ``token`` guards against posting a list that changed meanwhile."""

    token = forms.CharField(widget=forms.HiddenInput)
