from django.conf import settings
from django.utils.functional import SimpleLazyObject


def navigation(request):
    user = getattr(request, "user", None)
    nav_user = user if user is not None and user.is_authenticated else None
    ctx = {
        "ZONEBOOK_VERSION": "0.1.0",
        "nav_user": nav_user,
        "SESSION_IDLE_SECONDS": settings.SESSION_IDLE_SECONDS,
    }
    if nav_user is not None:
        from . import menus

        # built from the registrations (core.menus), once per request and only if rendered
        ctx["nav_menu"] = SimpleLazyObject(lambda: menus.build(nav_user))
    return ctx
