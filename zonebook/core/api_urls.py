"""One router for the whole API; each app registers its viewsets in ``<app>/api/urls.py:register``."""

from importlib import import_module

from django.conf import settings
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
for app in settings.INSTALLED_APPS:
    if app.startswith("zonebook."):
        try:
            mod = import_module(f"{app}.api.urls")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.api.urls" and exc.name != f"{app}.api":
                raise
            continue
        mod.register(router)

urlpatterns = router.urls
