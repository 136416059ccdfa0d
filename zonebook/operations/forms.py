"""Forms of zone operations; the application form is built from the type version's field schema."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.forms import BootstrapForm, style_fields
from zonebook.core.lists import cap

from .choices import FieldKind, LedgerLink
from .models import ContainerSize


class LineForm(forms.Form):
    hs_code = forms.CharField(label=_("HS code"), max_length=10, required=False,
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    name = forms.CharField(label=_("goods name"), max_length=200, required=False)
    qty = forms.CharField(label=_("quantity"), max_length=30, required=False,
                          widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    unit = forms.CharField(label=_("unit"), max_length=10, required=False)
    value = forms.CharField(label=_("value"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=200)


class ApplicationForm(forms.Form):
    """The fields of one type version (all optional while drafting; required ones are checked by
    ``services.submit`` and shown on the same form)."""

    subject = forms.CharField(label=cap(_("subject")), max_length=200, required=False)

    def __init__(self, *args, version, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.ledger.models import Book, CarryOver
        from zonebook.registry.models import Enterprise

        self.version = version
        for f in version.fields:
            name, kind, label = f["name"], f["kind"], f.get("label") or f["name"]
            if f.get("required"):
                label = f"{label} *"
            if kind == FieldKind.TEXT:
                field = forms.CharField(label=label, max_length=500, required=False)
            elif kind == FieldKind.NUMBER:
                field = forms.DecimalField(label=label, required=False, max_digits=20, decimal_places=5)
            elif kind == FieldKind.DATE:
                field = forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
            elif kind == FieldKind.CHOICE:
                field = forms.ChoiceField(label=label, required=False,
                                          choices=[("", "---------")] + [(c, c) for c in f.get("choices", [])])
            elif kind == FieldKind.ENTERPRISE:
                field = forms.ModelChoiceField(label=label, required=False,
                                               queryset=Enterprise.objects.filter(zone_id=enterprise.zone_id))
            elif kind == FieldKind.BOOK:
                field = forms.ModelChoiceField(label=label, required=False,
                                               queryset=Book.objects.filter(enterprise=enterprise).order_by("number"))
            else:
                continue
            self.fields[f"f_{name}"] = field
        if version.type.ledger_link == LedgerLink.CARRY_OVER:
            from django.db.models import Q

            self.fields["carry_over"] = forms.ModelChoiceField(
                label=cap(_("carry-over application")) + " *", required=False,
                queryset=CarryOver.objects.filter(
                    Q(transferor_book__enterprise=enterprise) | Q(transferee_book__enterprise=enterprise)
                ).order_by("-id"),
            )
        style_fields(self)

    def data_values(self) -> dict:
        out = {}
        for f in self.version.fields:
            key = f"f_{f['name']}"
            if key not in self.cleaned_data:
                continue
            v = self.cleaned_data[key]
            if v is None or v == "":
                continue
            out[f["name"]] = v.pk if hasattr(v, "pk") else (v.isoformat() if hasattr(v, "isoformat") else str(v))
        return out

    @classmethod
    def initial_from(cls, app) -> dict:
        initial = {f"f_{k}": v for k, v in (app.data or {}).items()}
        initial["subject"] = app.subject
        if app.carry_over_id:
            initial["carry_over"] = app.carry_over_id
        return initial

    def map_errors(self, exc) -> list[str]:
        """Put a service ``ValidationError`` on the fields; returns the messages that fit no field."""
        loose = []
        for name, errors in getattr(exc, "message_dict", {"__all__": getattr(exc, "messages", [str(exc)])}).items():
            key = f"f_{name}" if f"f_{name}" in self.fields else (name if name in self.fields else None)
            for e in errors:
                if key:
                    self.add_error(key, e)
                else:
                    loose.append(e)
        style_fields(self)
        return loose


class CounterForm(forms.Form):
    """窗口: the enterprise and type of a walk-in application."""

    enterprise = forms.ModelChoiceField(label=cap(_("enterprise")), queryset=None)
    type = forms.ModelChoiceField(label=cap(_("type")), queryset=None, to_field_name="code")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.registry.models import Enterprise

        from .models import ApplicationType

        self.fields["enterprise"].queryset = Enterprise.objects.for_user(user).order_by("name")
        self.fields["type"].queryset = ApplicationType.objects.filter(active=True)
        style_fields(self)


class ActForm(BootstrapForm):
    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=cap(_("note / reason")), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TypeVersionForm(forms.Form):
    fields_json = forms.CharField(label=cap(_("form fields (JSON)")), widget=forms.Textarea(attrs={"rows": 12,
                                                                                                    "class": "font-monospace"}))
    attachments = forms.CharField(label=cap(_("required attachments, one per line")), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    sla_policy = forms.ModelChoiceField(label=cap(_("SLA policy")), queryset=None)
    needs_review = forms.BooleanField(label=cap(_("with a second review (复核)")), required=False)
    note = forms.CharField(label=cap(_("change note")), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.sla.models import SlaPolicy

        self.fields["sla_policy"].queryset = SlaPolicy.objects.filter(active=True)
        style_fields(self)

    def clean_fields_json(self):
        try:
            value = json.loads(self.cleaned_data["fields_json"])
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(e)s") % {"e": exc}) from exc
        from zonebook.core.errors import DomainError

        from .services import check_schema

        try:
            check_schema(value)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return value

    def clean_attachments(self):
        return [line.strip() for line in self.cleaned_data.get("attachments", "").splitlines() if line.strip()]


class ContainerForm(forms.Form):
    """集装箱备案: the number is checked against ISO 6346 (format and check digit)."""

    number = forms.CharField(label=_("container no."), max_length=11,
                             widget=forms.TextInput(attrs={"autocapitalize": "characters", "placeholder": "CSQU3054383"}))
    size_type = forms.ChoiceField(label=_("size/type"), choices=ContainerSize.choices)
    tare_weight = forms.DecimalField(label=_("container tare (kg)"), max_digits=14, decimal_places=3, min_value=0)
    owner = forms.CharField(label=_("owner/operator"), max_length=200)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the number is the register's key
            self.fields["number"].disabled = True
        else:
            del self.fields["active"]
        style_fields(self)

    def clean_number(self):
        from .gate import container_number_error

        number = (self.cleaned_data.get("number") or "").strip().upper()
        if not self.fields["number"].disabled:
            problem = container_number_error(number)
            if problem:
                raise forms.ValidationError(problem)
        return number
