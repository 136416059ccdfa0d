"""Pages for organisational units (tree list, detail with members, create/edit) and machine tokens
(issue — the secret shown once —, list, revoke).  Objects are looked up in the reader's scope first
(out of scope → 404); managing needs a user administrator inside the own scope (403 otherwise)."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zonebook.audit.services import history
from zonebook.core.errors import DomainError
from zonebook.core.forms import apply_service_error
from zonebook.core.views import scoped_object

from . import tokens
from . import units as svc
from .filtersets import UnitFilterSet
from .forms import MemberForm, TokenForm, UnitForm
from .models import MachineToken, Unit, UnitMembership


def _require_user_admin(request):
    if not request.user.is_user_admin:
        raise PermissionDenied(_("Your account may not manage users."))


def _units(request):
    return Unit.objects.for_user(request.user).select_related("parent", "zone", "head")


@login_required
def unit_list(request):
    filterset = UnitFilterSet(request.GET, queryset=_units(request))
    rows = svc.unit_tree(filterset.qs)
    term = (request.GET.get("q") or "").strip()
    if request.GET.get("export") == "csv":
        return _export(rows)
    ctx = {
        "rows": rows,
        "q": term,
        "inactive": request.GET.get("inactive") in ("1", "true", "on"),
        "can_manage": request.user.is_user_admin,
    }
    return render(request, "accounts/unit_list.html", ctx)


def _export(rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="units.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Unit name"),
            _("Short name"),
            _("Kind"),
            _("Parent unit"),
            _("Scope"),
            _("Head"),
            _("Valid from"),
            _("Valid to"),
            _("Active"),
        ]
    )
    for unit, _depth in rows:
        writer.writerow(
            [
                unit.name,
                unit.short_name,
                unit.get_kind_display(),
                unit.parent.name if unit.parent_id else "",
                str(unit.zone) if unit.zone_id else (unit.city_code or unit.province_code),
                (unit.head.get_full_name() or unit.head.username) if unit.head_id else "",
                unit.valid_from or "",
                unit.valid_to or "",
                _("yes") if unit.is_active else _("no"),
            ]
        )
    return response


@scoped_object(Unit)
@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(_units(request), pk=pk)
    today = timezone.localdate()
    memberships = list(unit.memberships.select_related("user").order_by("role_in_unit", "user__username"))
    for m in memberships:
        m.is_current = (m.valid_from is None or m.valid_from <= today) and (
            m.valid_to is None or m.valid_to >= today
        )
    can_manage = request.user.is_user_admin
    ctx = {
        "unit": unit,
        "memberships": memberships,
        "children": Unit.objects.for_user(request.user).filter(parent=unit).order_by("name"),
        "head": svc.unit_head(unit),
        "leaders": svc.unit_leaders(unit),
        "can_manage": can_manage,
        "member_form": MemberForm(actor=request.user) if can_manage else None,
        "entries": history(unit)[:20],
    }
    return render(request, "accounts/unit_detail.html", ctx)


def _unit_form_page(request, form, title, unit=None, status=200):
    return render(
        request, "accounts/unit_form.html", {"form": form, "title": title, "unit": unit}, status=status
    )


@login_required
def unit_create(request):
    _require_user_admin(request)
    initial = {}
    if request.GET.get("parent"):
        parent = (
            _units(request).filter(pk=request.GET["parent"]).first()
            if request.GET["parent"].isdigit()
            else None
        )
        if parent:
            initial = {"parent": parent, "kind": parent.kind}
    form = UnitForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = svc.create_unit(form.cleaned_data, by=request.user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Unit %(name)s was created.") % {"name": unit.name})
            return redirect("accounts:unit_detail", unit.pk)
    return _unit_form_page(request, form, _("New unit"), status=400 if form.is_bound else 200)


@scoped_object(Unit)
@login_required
def unit_edit(request, pk):
    unit = get_object_or_404(_units(request), pk=pk)
    _require_user_admin(request)
    initial = {k: getattr(unit, k) for k in svc.UNIT_FIELDS}
    form = UnitForm(request.POST or None, actor=request.user, initial=initial, exclude_pk=unit.pk)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_unit(unit, form.cleaned_data, by=request.user)
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("accounts:unit_detail", unit.pk)
    title = _("Edit unit %(name)s") % {"name": unit.name}
    return _unit_form_page(request, form, title, unit, status=400 if form.is_bound else 200)


@scoped_object(Unit)
@login_required
@require_POST
def member_add(request, pk):
    unit = get_object_or_404(_units(request), pk=pk)
    _require_user_admin(request)
    form = MemberForm(request.POST, actor=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        user = data.pop("user")
        try:
            svc.add_member(unit, user, by=request.user, **data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The member was added."))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("accounts:unit_detail", unit.pk)


@scoped_object(UnitMembership)
@login_required
@require_POST
def member_end(request, pk):
    membership = get_object_or_404(
        UnitMembership.objects.for_user(request.user).select_related("unit"), pk=pk
    )
    _require_user_admin(request)
    try:
        svc.end_membership(membership, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The membership was ended."))
    return redirect("accounts:unit_detail", membership.unit_id)


# --- machine tokens ----------------------------------------------------------------------------------


@login_required
def token_list(request):
    _require_user_admin(request)
    qs = MachineToken.objects.for_user(request.user).select_related(
        "zone", "enterprise", "created_by", "revoked_by"
    )
    return render(request, "accounts/token_list.html", {"tokens": qs, "now": timezone.now()})


@login_required
def token_issue(request):
    _require_user_admin(request)
    form = TokenForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data.get("expires_on"):
            expires_at = timezone.make_aware(dt.datetime.combine(data["expires_on"], dt.time(23, 59, 59)))
        try:
            token, raw = tokens.issue_token(
                name=data["name"],
                zone=data["zone"],
                enterprise=data.get("enterprise"),
                areas=data["areas"],
                expires_at=expires_at,
                by=request.user,
            )
        except DomainError as exc:
            apply_service_error(form, exc)
        else:
            # The secret is rendered once, in this response, and never stored or shown again.
            response = render(request, "accounts/token_issued.html", {"token": token, "raw": raw})
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "accounts/token_form.html",
        {"form": form, "title": _("Issue machine token")},
        status=400 if form.is_bound else 200,
    )


@scoped_object(MachineToken)
@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(MachineToken.objects.for_user(request.user), pk=pk)
    _require_user_admin(request)
    try:
        tokens.revoke_token(token, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("accounts:token_list")
