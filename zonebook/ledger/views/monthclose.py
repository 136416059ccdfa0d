"""Month close page (月结): the months of the user's books with their status, who closed them and when,
the items verified; buttons that queue a close (every month up to the one chosen) or the full
verification as background jobs with a progress bar.  Zone offices see their zone's books, the
province all of its books (scoped like the oversight page); enterprises have no access."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zonebook.core.errors import DomainError
from zonebook.core.permissions import may_write
from zonebook.core.scoping import ALL
from zonebook.jobs.models import Job

from .. import jobs
from ..models import Book, MonthClose, MonthCloseStatus
from ..services import monthclose
from ..view_helpers import AREA, message_errors

OVERSIGHT_AREA = "ledger_oversight"
MONTHS_SHOWN = 36
REOPENED_SHOWN = 20


def _require_office(user) -> None:
    if user.scope_level == "enterprise":
        raise PermissionDenied(_("The month close is for the zone and province offices."))


def may_close(user) -> bool:
    """Zone offices (area ``ledger_oversight``) and administrators; not enterprises, not the
    province or city offices, which read."""
    return user.scope_level != "enterprise" and (may_write(user, AREA) or may_write(user, OVERSIGHT_AREA))


def _book_ids(user):
    """None (every book) for an installation-wide user, else the ids of the books in scope."""
    if getattr(user, "is_superuser", False) or user.scope_level == ALL:
        return None
    return list(Book.objects.for_user(user).values_list("pk", flat=True))


@login_required
def monthclose_list(request):
    user = request.user
    _require_office(user)
    closes = MonthClose.objects.for_user(user)
    latest_by = (
        MonthClose.objects.for_user(user)
        .filter(month=OuterRef("month"), status=MonthCloseStatus.CLOSED)
        .order_by("-closed_at")
        .values("closed_by__username")[:1]
    )
    months = list(
        closes.order_by()
        .values("month")
        .annotate(
            closed=Count("id", filter=Q(status=MonthCloseStatus.CLOSED)),
            reopened=Count("id", filter=Q(status=MonthCloseStatus.REOPENED)),
            items=Sum("items", filter=Q(status=MonthCloseStatus.CLOSED)),
            verified=Sum("verified_items", filter=Q(status=MonthCloseStatus.CLOSED)),
            closed_at=Max("closed_at", filter=Q(status=MonthCloseStatus.CLOSED)),
            closed_by=Subquery(latest_by),
        )
        .order_by("-month")[:MONTHS_SHOWN]
    )
    books = Book.objects.for_user(user).count()
    for m in months:
        m["open_books"] = max(books - m["closed"], 0)
    reopened = list(
        closes.filter(status=MonthCloseStatus.REOPENED)
        .select_related("book", "reopened_by_list")
        .order_by("-reopened_at", "-month")[:REOPENED_SHOWN]
    )
    recent_jobs = list(
        Job.objects.for_user(user).filter(kind__in=(jobs.CLOSE_KIND, jobs.VERIFY_KIND)).order_by("-created_at")[:5]
    )
    default_month = monthclose.previous_month(timezone.localdate())
    ctx = {
        "title": _("Month close (月结)"),
        "months": months,
        "books": books,
        "reopened": reopened,
        "recent_jobs": recent_jobs,
        "may_close": may_close(user),
        "default_month": default_month,
        "typed_month": request.GET.get("month", ""),
        "max_month": default_month,
    }
    return render(request, "ledger/monthclose.html", ctx)


def _parse_month(value: str) -> dt.date:
    try:
        day = dt.datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        raise DomainError(
            _("“%(v)s” is not a month; give it as YYYY-MM.") % {"v": value}, code="invalid", field="month"
        ) from None
    monthclose.month_bounds(day.year, day.month)
    return day


@login_required
@require_POST
def monthclose_start(request):
    user = request.user
    _require_office(user)
    if not may_close(user):
        raise PermissionDenied(_("Your role may not close months."))
    try:
        until = _parse_month(request.POST.get("month", ""))
        first, last = monthclose.month_bounds(until.year, until.month)
        if last >= timezone.localdate():
            raise DomainError(
                _("%(m)s has not ended yet; a month can be closed from its next day on.") % {"m": f"{first:%Y-%m}"},
                code="month_not_ended",
                field="month",
            )
    except DomainError as exc:
        message_errors(request, exc)
        # the page shows the month the user typed again, next to the error
        return redirect(f"{reverse('ledger:monthclose_list')}?{urlencode({'month': request.POST.get('month', '')})}")
    job = jobs.start_close(user, until, _book_ids(user))
    messages.success(request, _("The month close runs in the background; its progress is shown here."))
    return redirect("jobs:detail", pk=job.pk)


@login_required
@require_POST
def monthclose_verify(request):
    user = request.user
    _require_office(user)
    if not may_close(user):
        raise PermissionDenied(_("Your role may not close months."))
    job = jobs.start_verify(user, _book_ids(user), repair=False)
    messages.success(request, _("The full verification runs in the background; its progress is shown here."))
    return redirect("jobs:detail", pk=job.pk)
