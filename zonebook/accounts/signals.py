"""Login history.  Signals are used only for authentication events, never for business rules."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zonebook.core.middleware import client_ip


def _meta(request):
    if request is None:
        return None, ""
    return client_ip(request) or None, request.META.get("HTTP_USER_AGENT", "")[:300]


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    from .models import LoginEvent

    ip, ua = _meta(request)
    LoginEvent.objects.create(
        user=user, username=user.get_username(), kind=LoginEvent.Kind.SUCCESS, ip=ip, user_agent=ua
    )


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    from .models import LoginEvent

    if user is None:
        return
    ip, ua = _meta(request)
    LoginEvent.objects.create(
        user=user, username=user.get_username(), kind=LoginEvent.Kind.LOGOUT, ip=ip, user_agent=ua
    )


@receiver(user_login_failed)
def on_failure(sender, credentials, request=None, **kwargs):
    from .models import LoginEvent, User

    username = (credentials or {}).get("username", "")[:150]
    ip, ua = _meta(request)
    LoginEvent.objects.create(
        user=User.objects.filter(username=username).first(),
        username=username,
        kind=LoginEvent.Kind.FAILURE,
        ip=ip,
        user_agent=ua,
    )
    from .services import check_login_attack

    check_login_attack(username)


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, **kwargs):
    from .models import LoginEvent, User

    username = (username or "")[:150]
    ip, ua = _meta(request)
    LoginEvent.objects.create(
        user=User.objects.filter(username=username).first(),
        username=username,
        kind=LoginEvent.Kind.LOCKED,
        ip=ip,
        user_agent=ua,
    )
