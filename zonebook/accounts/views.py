from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zonebook.audit import services as audit

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
        user = self.request.user
        audit.update(user, {"must_change_password": False, "password_changed_at": timezone.now()}, by=user,
                     code="accounts.user.password_changed")
        messages.success(self.request, _("Your password was changed."))
        return response


@login_required
def login_history(request):
    qs = LoginEvent.objects.for_user(request.user).select_related("user")
    if not request.user.is_superuser and request.user.scope_level == "enterprise":
        qs = qs.filter(user=request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/login_history.html", {"page": page})


@login_required
def user_list(request):
    qs = User.objects.for_user(request.user).select_related("zone", "enterprise").order_by("username")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page})
