from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.core.errors import DomainError
from zonebook.core.views import scoped_object

from . import services
from .choices import Role
from .forms import NewUserForm, UserForm
from .models import LoginEvent, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("core:home")
    title = gettext_lazy("Change password")

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (django-axes ``AXES_LOCKOUT_CALLABLE``): which account, from which address,
    and until when — the last failure plus the cool-off time."""
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    from zonebook.core.middleware import client_ip

    username = get_client_username(request, credentials) or ""
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    cool_off = get_cool_off(request)
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=ip)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    until = timezone.localtime(last + cool_off) if (last and cool_off) else None
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    context = {"username": username, "ip": ip, "until": until, "minutes": minutes}
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


@login_required
def login_history(request):
    qs = LoginEvent.objects.for_user(request.user).select_related("user")
    if not request.user.is_superuser and request.user.scope_level == "enterprise":
        qs = qs.filter(user=request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/login_history.html", {"page": page})


def _require_user_admin(request):
    if not request.user.is_user_admin:
        raise PermissionDenied(_("Your account may not manage users."))


def _locked_usernames(usernames) -> set[str]:
    from axes.models import AccessAttempt

    return set(
        AccessAttempt.objects.filter(
            username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).values_list("username", flat=True)
    )


@login_required
def user_list(request):
    qs = User.objects.for_user(request.user).exclude(role=Role.MACHINE).select_related("zone", "enterprise").order_by("username")
    term = (request.GET.get("q") or "").strip()
    if term:
        qs = qs.filter(
            Q(username__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    locked = _locked_usernames(u.username for u in page)
    for u in page:
        u.is_locked = u.username in locked
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": term, "can_manage": request.user.is_user_admin},
    )


def _apply_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
def user_create(request):
    _require_user_admin(request)
    form = NewUserForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password") or services.generate_password(avoid=data.get("username") or "")
        try:
            user = services.create_user(data, password=password, by=request.user)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            if not form.cleaned_data["password"]:
                messages.warning(
                    request,
                    _(
                        "User %(user)s was created with the initial password %(password)s. Pass it on securely; it is shown only once."
                    )
                    % {"user": user.username, "password": password},
                )
            else:
                messages.success(request, _("User %(user)s was created.") % {"user": user.username})
            return redirect("accounts:user_list")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/user_form.html", {"form": form, "title": _("New user")}, status=status)


@scoped_object(User)
@login_required
def user_edit(request, pk):
    target = get_object_or_404(User.objects.for_user(request.user).exclude(role=Role.MACHINE), pk=pk)  # out of scope: 404 first
    _require_user_admin(request)
    initial = {k: getattr(target, k) for k in services.EDITABLE}
    form = UserForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(target, form.cleaned_data, by=request.user)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("User %(user)s was saved.") % {"user": target.username})
            return redirect("accounts:user_list")
    status = 400 if form.is_bound else 200
    ctx = {"form": form, "title": _("Edit user %(user)s") % {"user": target.username}, "target": target}
    return render(request, "accounts/user_form.html", ctx, status=status)


@scoped_object(User)
@login_required
@require_POST
def user_reset_password(request, pk):
    target = get_object_or_404(User.objects.for_user(request.user).exclude(role=Role.MACHINE), pk=pk)
    _require_user_admin(request)
    try:
        password = services.reset_password(target, by=request.user)
    except DomainError as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.warning(
        request,
        _(
            "The password of %(user)s was reset to %(password)s. The user must change it at the next login; it is shown only once."
        )
        % {"user": target.username, "password": password},
    )
    return redirect("accounts:user_list")


@scoped_object(User)
@login_required
@require_POST
def user_unlock(request, pk):
    target = get_object_or_404(User.objects.for_user(request.user).exclude(role=Role.MACHINE), pk=pk)
    _require_user_admin(request)
    try:
        services.unlock_user(target, by=request.user)
    except DomainError as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, _("The account %(user)s was unlocked.") % {"user": target.username})
    return redirect("accounts:user_list")
