"""Notification pages: the user's list, the navbar bell's count, mark read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zonebook.core.views import scoped_object

from . import services
from .models import Notification

PER_PAGE = 50


@login_required
def notification_list(request):
    qs = Notification.objects.for_user(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.unread()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    ctx = {
        "title": _("Notifications"),
        "page": page,
        "unread_only": unread_only,
        "unread_count": services.unread_count(request.user),
    }
    return render(request, "notify/notification_list.html", ctx)


@login_required
def notification_badge(request):
    """The navbar bell's unread count: one COUNT query, fetched after the page loaded (so pages pay
    no extra query for it)."""
    return render(request, "notify/_badge.html", {"unread": services.unread_count(request.user)})


def _next(request, default):
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


@login_required
@require_POST
@scoped_object(Notification)
def notification_read(request, pk):
    n = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.mark_read(n)
    if request.POST.get("open") and n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect(_next(request, reverse("notify:list")))


@login_required
@require_POST
def notification_read_all(request):
    n = services.mark_all_read(request.user)
    messages.success(request, _("%(n)d notification(s) marked read.") % {"n": n})
    return redirect(_next(request, reverse("notify:list")))
