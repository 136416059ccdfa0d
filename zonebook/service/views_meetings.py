"""Joint meetings (联席会议) and their decisions, tracked with a lead unit and a deadline."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.accounts.models import Unit
from zonebook.audit.services import record_event
from zonebook.core import exports
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error, style_fields
from zonebook.core.views import scoped_object
from zonebook.notify import lights
from zonebook.registry.models import Zone

from . import services
from .models import JointMeeting, MeetingDecision

DECISION_ROWS = 4
AMBER_DAYS = 3  # a decision due within three days shows amber; on its day red; after it overdue


def decision_light(decision, today=None) -> str:
    if decision.done_at is not None:
        return ""
    today = today or timezone.localdate()
    return lights.traffic_light((decision.due_date - today).days, amber=AMBER_DAYS, red=0, overdue_below=0)


class MeetingForm(forms.Form):
    zone = forms.ModelChoiceField(label=gettext_lazy("Zone"), queryset=Zone.objects.none())
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    units = forms.ModelMultipleChoiceField(label=gettext_lazy("Participating units"), queryset=Unit.objects.none(),
                                           widget=forms.SelectMultiple(attrs={"size": 6}))
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.for_user(user).order_by("name")
        self.fields["units"].queryset = selectable_units(user)
        if getattr(user, "zone_id", None):
            self.initial.setdefault("zone", user.zone_id)
        for i in range(DECISION_ROWS):
            self.fields[f"d{i}_text"] = forms.CharField(label=_("Decision %(n)s") % {"n": i + 1}, required=False)
            self.fields[f"d{i}_unit"] = forms.ModelChoiceField(label=_("Lead unit"), required=False,
                                                               queryset=self.fields["units"].queryset)
            self.fields[f"d{i}_due"] = forms.DateField(label=_("Deadline"), required=False,
                                                       widget=forms.DateInput(attrs={"type": "date"}))
        style_fields(self)

    def decisions(self):
        out = []
        for i in range(DECISION_ROWS):
            text, unit, due = (self.cleaned_data.get(f"d{i}_{k}") for k in ("text", "unit", "due"))
            if text:
                if unit is None or due is None:
                    raise DomainError(_("Each decision needs a lead unit and a deadline."), code="required",
                                      field=f"d{i}_unit")
                out.append((text, unit, due))
        return out


def selectable_units(user):
    """Units a user may name: those in the own scope plus the city and provincial units above it."""
    if user.is_superuser or user.scope_level == "all":
        return Unit.objects.current().order_by("scope_level", "name")
    above = Q(scope_level="province", province_code=user.province_code)
    if user.city_code:
        above |= Q(scope_level="city", city_code=user.city_code)
    return Unit.objects.current().filter(Q(pk__in=Unit.objects.for_user(user).values("pk")) | above).order_by(
        "scope_level", "name")


def _require_office(user):
    if not services.is_office(user):
        raise PermissionDenied(_("Only the service office may see this page."))


@login_required
def meeting_list(request):
    user = request.user
    _require_office(user)
    meetings = (JointMeeting.objects.for_user(user).select_related("zone")
                .annotate(n=Count("decisions"), open=Count("decisions", filter=Q(decisions__done_at__isnull=True))))
    open_decisions = list(MeetingDecision.objects.for_user(user).filter(done_at__isnull=True)
                          .select_related("meeting", "lead_unit").order_by("due_date", "id")[:200])
    for d in open_decisions:
        d.light = decision_light(d)
    if request.GET.get("export") == "xlsx":
        record_event("service.decisions.exported", by=user)
        rows = [[_("Meeting"), _("Date"), _("Decision"), _("Lead unit"), _("Deadline"), _("Done at"), _("Result")]]
        rows += [[d.meeting.title, d.meeting.date, d.text, str(d.lead_unit), d.due_date, d.done_at, d.result]
                 for d in MeetingDecision.objects.for_user(user).select_related("meeting", "lead_unit").order_by("due_date")]
        return exports.xlsx_response(iter(rows), _("meeting decisions"), _("Joint meetings"))
    return render(request, "service/meeting_list.html", {"title": _("Joint meetings"), "meetings": meetings,
                                                         "open_decisions": open_decisions})


@login_required
def meeting_create(request):
    user = request.user
    _require_office(user)
    form = MeetingForm(request.POST or None, user=user, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = services.record_meeting(zone=d["zone"], date=d["date"], title=d["title"], units=d["units"],
                                              minutes=d["minutes"], decisions=form.decisions(), by=user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect(meeting)
    return render(request, "service/form.html", {"form": form, "title": _("New joint meeting"),
                                                 "cancel": "service:meeting_list"})


@scoped_object(JointMeeting)
@login_required
def meeting_detail(request, pk):
    user = request.user
    meeting = get_object_or_404(JointMeeting.objects.for_user(user).select_related("zone"), pk=pk)
    _require_office(user)
    decisions = list(meeting.decisions.select_related("lead_unit"))
    for d in decisions:
        d.light = decision_light(d)
    return render(request, "service/meeting_detail.html", {"title": meeting.title, "meeting": meeting,
                                                           "decisions": decisions})


@scoped_object(MeetingDecision)
@login_required
@require_POST
def decision_done(request, pk):
    decision = get_object_or_404(MeetingDecision.objects.for_user(request.user).select_related("meeting", "lead_unit"),
                                 pk=pk)
    try:
        services.complete_decision(decision, result=request.POST.get("result", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect(decision.meeting)
