"""Forms of the service pages; they parse input, the services validate the rules and write."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.accounts.models import User
from zonebook.core.forms import BootstrapForm, style_fields
from zonebook.core.lists import cap
from zonebook.core.widgets import PickerSelect
from zonebook.registry.models import Enterprise

from . import services
from .models import Category, Channel, LiaisonRole, OperatingState, Satisfaction, TierRule, VisitKind


def _category_choices():
    return Category.objects.filter(active=True).select_related("parent")


class RequestForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=cap(_("enterprise")), queryset=Enterprise.objects.none(),
        widget=PickerSelect(search_url=reverse_lazy("registry:enterprise_options")),
    )
    category = forms.ModelChoiceField(label=cap(_("category")), queryset=Category.objects.none())
    channel = forms.ChoiceField(label=cap(_("channel")), choices=[c for c in Channel.choices if c[0] != Channel.ENTERPRISE])
    title = forms.CharField(label=cap(_("subject")), max_length=200)
    description = forms.CharField(label=cap(_("description")), widget=forms.Textarea(attrs={"rows": 5}))
    contact_name = forms.CharField(label=cap(_("contact person")), max_length=60, required=False)
    contact_phone = forms.CharField(label=cap(_("contact phone")), max_length=32, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _category_choices()
        if services.is_enterprise_user(user):
            del self.fields["enterprise"]
            del self.fields["channel"]
        else:
            self.fields["enterprise"].queryset = Enterprise.objects.for_user(user)
        style_fields(self)  # after the querysets: styling reads the errors (validates)


class DispatchForm(forms.Form):
    lead_unit = forms.ModelChoiceField(label=cap(_("lead unit")), queryset=None)
    co_units = forms.ModelMultipleChoiceField(label=cap(_("co-handling units")), queryset=None, required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 4}))
    note = forms.CharField(label=cap(_("note")), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, req, **kwargs):
        super().__init__(*args, **kwargs)
        units = services.units_for_zone(req.zone).order_by("scope_level", "name")
        # validation of the zone rule is the service's: the choice lists every active unit in scope
        # reach, so a unit outside the zone is refused with the service's message
        from zonebook.accounts.models import Unit

        self.fields["lead_unit"].queryset = Unit.objects.current()
        self.fields["co_units"].queryset = Unit.objects.current()
        self.fields["lead_unit"].choices = [("", "---------")] + [(u.pk, str(u)) for u in units]
        self.fields["co_units"].choices = [(u.pk, str(u)) for u in units]
        proposed = services.propose_unit(req.category, req.zone)
        if proposed is not None and not self.is_bound:
            self.initial["lead_unit"] = proposed.pk
        self.proposed = proposed
        style_fields(self)


class TextForm(BootstrapForm):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class StageReplyForm(BootstrapForm):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 3}))
    next_date = forms.DateField(label=_("Next checkpoint"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(BootstrapForm):
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(BootstrapForm):
    approve = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                     choices=[("1", _("Approve")), ("0", _("Deny"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ResultForm(BootstrapForm):
    result = forms.CharField(label=pgettext_lazy("service", "Result"), widget=forms.Textarea(attrs={"rows": 3}))
    solved = forms.BooleanField(label=_("Problem solved"), required=False)


class ReviewForm(BootstrapForm):
    accept = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                    choices=[("1", _("Accept the result")), ("0", _("Send back"))])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RevisitForm(BootstrapForm):
    satisfaction = forms.ChoiceField(label=cap(_("satisfaction")), choices=Satisfaction.choices)
    attributable = forms.TypedChoiceField(
        label=_("Cause lies with the handling unit"), required=False, coerce=lambda v: {"1": True, "0": False}.get(v),
        empty_value=None, choices=[("", "---------"), ("1", _("Yes")), ("0", _("No"))],
    )
    reason = forms.CharField(label=_("Reason / remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(BootstrapForm):
    result = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class VisitForm(forms.Form):
    date = forms.DateField(label=cap(_("date")), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=cap(_("kind")), choices=VisitKind.choices)
    enterprises = forms.ModelMultipleChoiceField(label=cap(_("enterprises")), queryset=Enterprise.objects.none(),
                                                 required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    officers = forms.ModelMultipleChoiceField(label=cap(_("officers")), queryset=User.objects.none(),
                                              widget=forms.SelectMultiple(attrs={"size": 4}))
    topics = forms.CharField(label=cap(_("topics")), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label=cap(_("findings")), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    problems = forms.CharField(
        label=_("Problems raised (one per line: category code, then the problem)"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Each line becomes a request, e.g. “CUS 查验等待时间长”."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].queryset = Enterprise.objects.for_user(user).order_by("name")
        self.fields["officers"].queryset = (
            User.objects.for_user(user).filter(is_active=True, role__in=services.OFFICE_ROLES).order_by("username")
        )
        style_fields(self)
        if not self.is_bound:
            self.initial.setdefault("officers", [user.pk])
        style_fields(self)


class LiaisonForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=cap(_("enterprise")), queryset=Enterprise.objects.none(),
        widget=PickerSelect(search_url=reverse_lazy("registry:enterprise_options")),
    )
    officer = forms.ModelChoiceField(label=cap(_("officer")), queryset=User.objects.none())
    role = forms.ChoiceField(label=cap(_("role")), choices=LiaisonRole.choices)
    valid_from = forms.DateField(label=cap(pgettext_lazy("period", "from")), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=cap(_("note")), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.for_user(user)
        self.fields["officer"].queryset = (
            User.objects.for_user(user).filter(is_active=True, role__in=services.OFFICE_ROLES).order_by("username")
        )
        style_fields(self)


class CampaignForm(forms.Form):
    title = forms.CharField(label=cap(_("title")), max_length=100, initial="重点企业每日运行情况")
    frequency = forms.ChoiceField(label=cap(_("frequency")), choices=[("daily", _("Daily")), ("monthly", _("Monthly"))])
    start_date = forms.DateField(label=cap(pgettext_lazy("period", "from")), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=cap(pgettext_lazy("period", "until")), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(label=cap(_("due time")), initial="16:00", widget=forms.TimeInput(attrs={"type": "time"}))
    enterprises = forms.ModelMultipleChoiceField(label=cap(_("enterprises")), queryset=Enterprise.objects.none(),
                                                 widget=forms.SelectMultiple(attrs={"size": 10}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].queryset = Enterprise.objects.for_user(user).order_by("name")
        style_fields(self)


class ReportForm(forms.Form):
    state = forms.ChoiceField(label=cap(_("operating state")), choices=OperatingState.choices)
    staff_expected = forms.IntegerField(label=cap(_("staff expected")), min_value=0)
    staff_present = forms.IntegerField(label=cap(_("staff at work")), min_value=0)
    output_value = forms.DecimalField(label=cap(_("output value of the day (10k CNY)")), min_value=0, decimal_places=2)
    imports_usd = forms.DecimalField(label=cap(_("imports of the day (10k USD)")), min_value=0, decimal_places=2)
    exports_usd = forms.DecimalField(label=cap(_("exports of the day (10k USD)")), min_value=0, decimal_places=2)
    damage = forms.CharField(label=cap(_("damage")), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(label=cap(_("needs and problems")), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class TierForm(BootstrapForm):
    tier = forms.ModelChoiceField(label=cap(_("tier")), queryset=TierRule.objects.all(), required=False,
                                  empty_label=_("not a key enterprise"))
    note = forms.CharField(label=cap(_("note")), max_length=200)
