from django.conf import settings


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "ZONEBOOK_VERSION": "0.1.0",
        "nav_user": user if user is not None and user.is_authenticated else None,
        "SESSION_IDLE_SECONDS": settings.SESSION_IDLE_SECONDS,
        "LEDGER_ENABLED": "zonebook.ledger" in settings.INSTALLED_APPS,
    }
