"""Registry forms: validate input and hand ``cleaned_data`` to the services (which write and audit)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zonebook.core.forms import BootstrapForm, BootstrapModelForm

from . import calc, services
from .choices import EnterpriseStatus, ZoneEvent
from .models import Enterprise, EnterpriseContact, Park, Zone, ZoneStatusEvent


class ServiceFormMixin:
    """Re-applies the invalid-field CSS after service errors were added."""

    def mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                w = self.fields[name].widget
                if "is-invalid" not in w.attrs.get("class", ""):
                    w.attrs["class"] = (w.attrs.get("class", "") + " is-invalid").strip()


class ZoneForm(ServiceFormMixin, BootstrapModelForm):
    class Meta:
        model = Zone
        fields = list(services.ZONE_FIELDS)
        widgets = {"boundaries": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("province_code", "city_code"):
            self.fields[name].help_text = _("Six-digit administrative region code (GB/T 2260)")

    def clean_province_code(self):
        return _region_code(self.cleaned_data["province_code"])

    def clean_city_code(self):
        return _region_code(self.cleaned_data["city_code"])


def _region_code(value: str) -> str:
    value = calc.normalize_code(value)
    if len(value) != 6 or not value.isdigit():
        raise ValidationError(_("A region code has six digits."), code="region_code")
    return value


class ParkForm(ServiceFormMixin, BootstrapModelForm):
    class Meta:
        model = Park
        fields = list(services.PARK_FIELDS)
        widgets = {"boundaries": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        if zone is not None:
            self.instance.zone = zone


class EnterpriseForm(ServiceFormMixin, BootstrapModelForm):
    class Meta:
        model = Enterprise
        fields = list(services.ENTERPRISE_FIELDS)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["zone"].queryset = Zone.objects.for_user(user).only("id", "name")
        self.fields["park"].queryset = Park.objects.for_user(user).select_related("zone")
        self.fields["uscc"].help_text = _(
            "18 characters; full-width characters and spaces are converted automatically"
        )

    def clean_uscc(self):
        return calc.normalize_code(self.cleaned_data["uscc"])

    def clean_customs_code(self):
        return calc.normalize_code(self.cleaned_data.get("customs_code") or "")


class ZoneStatusEventForm(ServiceFormMixin, BootstrapModelForm):
    class Meta:
        model = ZoneStatusEvent
        fields = ["event", "date", "doc_no", "successor", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2}), "date": forms.DateInput()}

    def __init__(self, *args, zone=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Zone.objects.for_user(user).only("id", "name")
        if zone is not None:
            qs = qs.exclude(pk=zone.pk)
            self.instance.zone = zone
        self.fields["successor"].queryset = qs
        self.fields["event"].choices = ZoneEvent.choices

    def clean(self):
        data = super().clean()
        if data.get("event") == ZoneEvent.INTEGRATED and not data.get("successor"):
            self.add_error("successor", _("Integration needs the zone this zone was integrated into."))
        return data


class EnterpriseStatusForm(ServiceFormMixin, BootstrapForm):
    status = forms.ChoiceField(label=_("status"), choices=EnterpriseStatus.choices)
    date = forms.DateField(label=_("date"), widget=forms.DateInput())
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class ContactForm(ServiceFormMixin, BootstrapModelForm):
    class Meta:
        model = EnterpriseContact
        fields = list(services.CONTACT_FIELDS)

    def __init__(self, *args, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        if enterprise is not None:
            self.instance.enterprise = enterprise
