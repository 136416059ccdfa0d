"""The working-day calendar page (工作日历): local overrides, package coverage, SLA policies.  For
users who maintain installation-wide reference data (system administrators, the province)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import calc, services, workcal
from .forms import ConfirmYearForm, OverrideForm, RemoveForm
from .models import CalendarOverride, SlaPolicy

AREA = "reference"


def _check(request):
    if not request.user.can_write(AREA):
        raise PermissionDenied(_("Your role may not change the working-day calendar."))


# the package's festival names, shown in the user's language
HOLIDAYS = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist 70th Day"),
}


def _today() -> dt.date:
    return timezone.localdate()


def _rows(overrides):
    rows = []
    for o in overrides:
        pkg = calc.package_is_working_day(o.date)
        rows.append({
            "override": o,
            "package": pkg,  # None: the package does not cover the year
            "holiday": HOLIDAYS.get(name := calc.package_holiday_name(o.date), name),
            "contradicts": pkg is not None and pkg != o.is_working_day,
        })
    return rows


@login_required
def calendar_page(request):
    _check(request)
    form = OverrideForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            form = OverrideForm(request.POST)
            if form.is_valid():
                services.add_override(by=request.user, **form.cleaned_data)
                messages.success(request, _("Override saved."))
                return redirect("sla:calendar")
        elif action == "remove":
            rf = RemoveForm(request.POST)
            if rf.is_valid():
                services.remove_override(rf.cleaned_data["override"], by=request.user)
                messages.success(request, _("Override removed."))
            return redirect("sla:calendar")
        elif action == "confirm":
            cf = ConfirmYearForm(request.POST)
            if cf.is_valid():
                services.confirm_year(cf.cleaned_data["year"], by=request.user)
                messages.success(request, _("The arrangement of %(year)s is marked as entered.") % {"year": cf.cleaned_data["year"]})
            return redirect("sla:calendar")
    today = _today()
    cal = workcal.get_calendar()
    years = range(today.year - 1, today.year + 3)
    coverage = [{"year": y, "package": calc.package_covers(y), "provisional": cal.is_provisional_year(y)} for y in years]
    context = {
        "form": form,
        "rows": _rows(CalendarOverride.objects.filter(date__year__gte=today.year - 1)),
        "coverage": coverage,
        "uncovered_next_year": workcal.uncovered_next_year(today),
        "policies": SlaPolicy.objects.prefetch_related("steps"),
        "office_hours": workcal.office_hours(),
    }
    return render(request, "sla/calendar.html", context)
