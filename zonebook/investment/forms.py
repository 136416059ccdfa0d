"""Forms of the investment pages; choices come from the user's scope, writes go through the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.forms import BootstrapForm, BootstrapModelForm, style_fields

from .models import (
    TERMINAL_STAGES,
    InvestmentEvent,
    Investor,
    InvestorContact,
    MilestoneKind,
    PolicyDocument,
    Project,
    ProjectScreening,
    Recurrence,
    ScreeningStatus,
    Stage,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "kind",
            "parent",
            "investor",
            "industry",
            "build_kind",
            "zone",
            "park",
            "enterprise",
            "currency",
            "fx_rate",
            "planned_investment",
            "contracted_investment",
            "funds_in_place",
            "source_region",
            "source_place",
            "fortune500",
            "china500",
            "lead_unit",
            "officer",
            "event",
            "transfer_mode",
            "transfer_from",
            "enclave",
            "processing_trade",
            "exclusion_category",
            "in_monthly_ledger",
            "land_area_mu",
            "jobs",
            "description",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.accounts.models import Unit, User
        from zonebook.registry.models import Code, Enterprise, Park, Zone

        f = self.fields
        f["zone"].queryset = Zone.objects.for_user(user)
        f["park"].queryset = Park.objects.for_user(user)
        f["enterprise"].queryset = Enterprise.objects.for_user(user)
        f["investor"].queryset = Investor.objects.for_user(user)
        f["parent"].queryset = Project.objects.for_user(user).filter(signed_on__isnull=False)
        f["lead_unit"].queryset = Unit.objects.for_user(user)
        f["officer"].queryset = User.objects.for_user(user).filter(is_active=True)
        f["event"].queryset = InvestmentEvent.objects.for_user(user)
        f["industry"].queryset = Code.objects.filter(table__key="industry", level=2).order_by("code")
        if user is not None and getattr(user, "zone_id", None):
            f["zone"].initial = user.zone_id
        style_fields(self)


class MilestoneForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Milestone"), choices=MilestoneKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=300,
        required=False,
        help_text=_("Contract number, licence, permit, photos …"),
    )
    correction_reason = forms.CharField(
        label=_("Correction reason"),
        max_length=300,
        required=False,
        help_text=_("Only to correct a recorded milestone or to record a date out of order."),
    )
    separate_reason = forms.CharField(
        label=_("Separate new project: reason"),
        max_length=200,
        required=False,
        help_text=_("Only when the investor already has a signed project here and this one is not its capital increase."),
    )


class TerminalForm(BootstrapForm):
    state = forms.ChoiceField(
        label=_("Terminal state"), choices=[(s.value, s.label) for s in TERMINAL_STAGES]
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ScreeningForm(BootstrapForm):
    level = forms.ChoiceField(label=_("Level"), choices=ProjectScreening.Level.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ScreeningStatus.choices[1:])
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class InvestorForm(forms.ModelForm):
    class Meta:
        model = Investor
        fields = [
            "name",
            "kind",
            "country",
            "home_region",
            "uscc",
            "industry",
            "parent_group",
            "fortune500",
            "china500",
            "contact_name",
            "contact_phone",
            "products",
            "transfer_target",
            "relocation_intent",
            "processing_trade_share",
            "workforce",
            "priority",
            "consent",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.registry.models import Code

        self.fields["industry"].queryset = Code.objects.filter(table__key="industry", level=2).order_by(
            "code"
        )
        style_fields(self)


class ContactForm(BootstrapModelForm):
    class Meta:
        model = InvestorContact
        fields = ["date", "channel", "summary"]
        widgets = {"date": DATE, "summary": forms.Textarea(attrs={"rows": 2})}


class EventForm(forms.ModelForm):
    class Meta:
        model = InvestmentEvent
        fields = ["kind", "title", "date", "end_date", "place", "participants", "leads", "investors", "note"]
        widgets = {
            "date": DATE,
            "end_date": DATE,
            "participants": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investors"].queryset = Investor.objects.for_user(user)
        style_fields(self)


class PolicyDocumentForm(BootstrapModelForm):
    class Meta:
        model = PolicyDocument
        fields = ["title", "number", "issuer", "issued_on", "full_text"]
        widgets = {"issued_on": DATE, "full_text": forms.Textarea(attrs={"rows": 6})}


class TaskForm(forms.Form):
    number = forms.CharField(label=_("Task number"), max_length=20)
    section = forms.CharField(label=_("Section"), max_length=200, required=False)
    text = forms.CharField(label=_("Task"), widget=forms.Textarea(attrs={"rows": 3}))
    goal = forms.CharField(label=_("Goal"), max_length=300, required=False)
    lead_units = forms.ModelMultipleChoiceField(label=_("Lead unit (牵头单位)"), queryset=None)
    responsible_units = forms.ModelMultipleChoiceField(
        label=_("Responsible units (责任单位)"), queryset=None, required=False
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DATE, required=False)
    recurrence = forms.ChoiceField(label=_("Reporting"), choices=Recurrence.choices, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from zonebook.accounts.models import Unit

        for name in ("lead_units", "responsible_units"):
            self.fields[name].queryset = Unit.objects.for_user(user).current()
        style_fields(self)


class ReportForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Reporting unit"), queryset=None)
    period = forms.DateField(
        label=_("Period (month)"), widget=DATE, help_text=_("Any day of the month reported on.")
    )
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, units=None, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.indicators = list(indicators)
        for ind in self.indicators:
            self.fields[f"ind_{ind.pk}"] = forms.DecimalField(
                label=f"{ind.name}（{ind.unit}）" if ind.unit else ind.name,
                required=False,
                max_digits=18,
                decimal_places=4,
            )
        style_fields(self)

    def figures(self) -> dict:
        return {
            ind: self.cleaned_data.get(f"ind_{ind.pk}")
            for ind in self.indicators
            if self.cleaned_data.get(f"ind_{ind.pk}") is not None
        }


class StatsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    month = forms.IntegerField(label=_("Up to month"), min_value=1, max_value=12)
    group = forms.ChoiceField(
        label=_("Group by"),
        choices=[
            ("zone", _("Zone")),
            ("city", _("City")),
            ("industry", _("Industry")),
            ("source_region", _("Source region")),
        ],
    )


STAGES_FOR_PIPELINE = [s for s in Stage.values]


class TargetForm(forms.Form):
    """The annual target of the user's own office (zone, city or province)."""

    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    signed_count = forms.IntegerField(label=_("Signed projects"), min_value=0, max_value=1_000_000)
    signed_amount = forms.DecimalField(
        label=_("Signed amount (10k RMB)"), min_value=0, max_digits=16, decimal_places=2
    )
    funds_in_place = forms.DecimalField(
        label=_("Funds in place (10k RMB)"), min_value=0, max_digits=16, decimal_places=2
    )
