"""Key enterprises and operation reports (每日运行情况表 → 简报) pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zonebook.audit.services import record_event
from zonebook.core import exports
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.views import scoped_object
from zonebook.registry.models import Enterprise

from . import forms as f
from . import monitoring, services
from .models import Campaign, EnterpriseTier, OperationReport
from .supervision import office_for
from .views_supervision import document_response


def _require_office(user):
    if not services.is_office(user):
        raise PermissionDenied(_("Only the service office may see this page."))


@login_required
def key_enterprises(request):
    """Current tiers of the enterprises in scope (with history), the computation and manual setting."""
    user = request.user
    _require_office(user)
    enterprises = Enterprise.objects.for_user(user)
    if request.method == "POST" and request.POST.get("set"):
        return set_tier(request, int(request.POST.get("enterprise") or 0))
    if request.method == "POST" and request.POST.get("compute"):
        result = monitoring.compute_tiers(enterprises.select_related("zone"), by=user)
        if not result["provider"]:
            messages.warning(request, _("No statistics of import and export are available yet; set tiers by hand."))
        else:
            messages.success(request, _("Tiers computed: %(changed)s changed, %(without)s without figures.")
                             % {"changed": result["changed"], "without": result["without_value"]})
        return redirect("service:key_enterprises")
    current = (EnterpriseTier.objects.for_user(user).filter(valid_to__isnull=True, tier__isnull=False)
               .select_related("enterprise", "enterprise__zone", "tier").order_by("-tier__min_trade_usd", "enterprise__name"))
    history = (EnterpriseTier.objects.for_user(user).select_related("enterprise", "tier")
               .order_by("-valid_from", "-id")[:50])
    if request.GET.get("export") == "xlsx":
        record_event("service.key_enterprises.exported", by=user)
        rows = [[_("Enterprise"), _("Zone"), _("Tier"), _("Basis"), _("Import and export (USD)"), _("Since")]]
        rows += [[t.enterprise.name, t.enterprise.zone.name, t.tier.name, t.get_basis_display(), t.trade_usd, t.valid_from]
                 for t in current]
        return exports.xlsx_response(iter(rows), _("key enterprises"), _("Key enterprises"))
    return render(request, "service/key_enterprises.html", {
        "title": _("Key enterprises"), "current": current, "history": history, "form": f.TierForm(),
        "provider": monitoring.trade_provider() is not None, "rules": monitoring.rules_on(timezone.localdate()),
        "enterprises": enterprises.order_by("name").only("id", "name"),
    })


@scoped_object(Enterprise)
@login_required
@require_POST
def set_tier(request, pk):
    """Set a tier by hand (the key-enterprise page's form)."""
    user = request.user
    enterprise = get_object_or_404(Enterprise.objects.for_user(user), pk=pk)
    _require_office(user)
    form = f.TierForm(request.POST)
    if form.is_valid():
        try:
            monitoring.set_tier(enterprise, form.cleaned_data["tier"], note=form.cleaned_data["note"], by=user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Please correct the errors below.") + " " + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("service:key_enterprises")


def _campaigns(user):
    return Campaign.objects.for_user(user).select_related("zone").distinct()


@login_required
def campaign_list(request):
    user = request.user
    campaigns = list(_campaigns(user).annotate(n_enterprises=Count("enterprises", distinct=True))
                     .order_by("-start_date", "pk"))
    today = timezone.localdate()
    if request.GET.get("export") == "xlsx":
        record_event("service.campaigns.exported", by=user)
        rows = [[_("Title"), _("Zone"), _("Frequency"), _("Period"), _("Due time"), _("Enterprises")]]
        rows += [[c.title, c.zone.name if c.zone_id else "", c.get_frequency_display(),
                  f"{c.start_date:%Y-%m-%d} – {c.end_date:%Y-%m-%d}", c.due_time.strftime("%H:%M") if c.due_time else "",
                  c.n_enterprises] for c in campaigns]
        return exports.xlsx_response(iter(rows), _("Operation reports"), _("Operation reports"))
    return render(request, "service/campaign_list.html", {
        "title": _("Operation reports"), "campaigns": campaigns, "today": today, "office": services.is_office(user),
    })


@login_required
def campaign_create(request):
    user = request.user
    _require_office(user)
    today = timezone.localdate()
    form = f.CampaignForm(request.POST or None, user=user,
                          initial={"start_date": today, "end_date": today + dt.timedelta(days=20)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ents = list(d["enterprises"])
        try:
            c = monitoring.open_campaign(title=d["title"], zone=ents[0].zone if ents else None, enterprises=ents,
                                         start_date=d["start_date"], end_date=d["end_date"], due_time=d["due_time"],
                                         frequency=d["frequency"], office=office_for(user), by=user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            return redirect(c)
    return render(request, "service/form.html", {"form": form, "title": _("Switch on an operation report"),
                                                 "cancel": "service:campaign_list"})


def _day(request, campaign) -> dt.date:
    today = timezone.localdate()
    day = parse_date(request.GET.get("date") or "") or min(max(today, campaign.start_date), campaign.end_date)
    return day


@scoped_object(Campaign)
@login_required
def campaign_detail(request, pk):
    """One day of a campaign: the reports (late ones flagged), who has not reported, the 简报."""
    user = request.user
    campaign = get_object_or_404(_campaigns(user), pk=pk)
    if services.is_enterprise_user(user):
        return redirect("service:report_submit", pk=campaign.pk)
    day = _day(request, campaign)
    figures = monitoring.day_figures(campaign, day)
    absent = monitoring.missing(campaign, day)
    if request.GET.get("export") == "xlsx":
        record_event("service.reports.exported", by=user, message=f"{campaign.pk} {day}")
        head = [_("Enterprise"), _("Operating state"), _("Staff expected"), _("Staff at work"),
                _("Output value (10k CNY)"), _("Imports (10k USD)"), _("Exports (10k USD)"), _("Damage"),
                _("Needs and problems"), _("Submitted at"), _("Late"), _("Revision")]
        rows = [head] + [[r.enterprise.name, r.get_state_display(), r.staff_expected, r.staff_present, r.output_value,
                          r.imports_usd, r.exports_usd, r.damage, r.needs, r.submitted_at, r.late, r.revision]
                         for r in figures["reports"]]
        rows += [[e.name, _("not reported")] + [""] * 10 for e in absent]
        return exports.xlsx_response(iter(rows), f"{campaign.title}-{day}", campaign.title, filters=str(day))
    return render(request, "service/campaign_detail.html", {
        "title": campaign.title, "campaign": campaign, "day": day, "f": figures, "absent": absent,
        "prev": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
    })


@scoped_object(Campaign)
@login_required
def bulletin(request, pk, fmt):
    user = request.user
    campaign = get_object_or_404(_campaigns(user), pk=pk)
    _require_office(user)
    day = _day(request, campaign)
    if fmt not in ("docx", "pdf"):
        raise Http404
    number = ""
    if request.method == "POST":  # issue: the bulletin gets the office's next 文号 (documents.numbering)
        from zonebook.documents.numbering import next_number

        number = next_number(f"service.zone.{campaign.zone_id}", monitoring.bulletin_series(campaign), day.year,
                             by=user, title=f"{campaign.title}简报 {day}")
    record_event("service.bulletin.generated", by=user, message=f"{campaign.pk} {day} {fmt} {number}".strip())
    return document_response(request, monitoring.bulletin(campaign, day, number=number), fmt,
                             f"{campaign.title}简报-{day}")


@scoped_object(Campaign)
@login_required
def report_submit(request, pk):
    """The enterprise's report for a day (its own enterprise; the office may enter one for any)."""
    user = request.user
    campaign = get_object_or_404(_campaigns(user).prefetch_related(
        Prefetch("enterprises", queryset=Enterprise.objects.for_user(user).order_by("name"))), pk=pk)
    day = _day(request, campaign)
    if services.is_enterprise_user(user):
        enterprise = user.enterprise
    else:
        _require_office(user)
        enterprise = get_object_or_404(Enterprise.objects.for_user(user), pk=request.GET.get("enterprise") or 0)
    existing = OperationReport.objects.filter(campaign=campaign, enterprise=enterprise, date=day).first()
    initial = {k: getattr(existing, k) for k in monitoring.REPORT_FIELDS} if existing else {}
    form = f.ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = monitoring.submit_report(campaign, enterprise, day, form.cleaned_data, by=user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            if report.late:
                messages.warning(request, _("Report saved after the due time: it is flagged late."))
            else:
                messages.success(request, _("Report saved."))
            url = f"{request.path}?date={day.isoformat()}"
            if not services.is_enterprise_user(user):
                url += f"&enterprise={enterprise.pk}"
            return redirect(url)
    return render(request, "service/report_form.html", {
        "title": campaign.title, "campaign": campaign, "day": day, "form": form, "existing": existing,
        "enterprise": enterprise, "due": monitoring.due_at(campaign, day),
    })
