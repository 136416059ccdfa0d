from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from zonebook.core import modules
from zonebook.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("zonebook.accounts.urls")),
    path("audit/", include("zonebook.audit.urls")),
    path("registry/", include("zonebook.registry.urls")),
    path("jobs/", include("zonebook.jobs.urls")),
    path("notifications/", include("zonebook.notify.urls")),
    path("sla/", include("zonebook.sla.urls")),
    path("attachments/", include("zonebook.attachments.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file (?script), so the strict CSP
    # (script-src 'self', no inline scripts) stays as it is on every other page.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("zonebook.core.api_urls")),
    path("", include("zonebook.core.urls")),
]
# Apps that declare a url_prefix in their registration (core.modules) are mounted here.
for _module in modules.all_modules():
    if _module.url_prefix:
        urlpatterns.insert(-1, path(f"{_module.url_prefix}/", include(f"{_module.app}.urls")))

handler400 = "zonebook.core.views.error_400"
handler403 = "zonebook.core.views.error_403"
handler404 = "zonebook.core.views.error_404"
handler500 = "zonebook.core.views.error_500"
