from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.forms import BootstrapForm

from .models import CalendarOverride


class OverrideForm(BootstrapForm):
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_working_day = forms.TypedChoiceField(
        label=_("kind"),
        choices=[("0", _("Day off")), ("1", _("Working day"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        return reason


class RemoveForm(forms.Form):
    override = forms.ModelChoiceField(queryset=CalendarOverride.objects.all())


class ConfirmYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2200)
