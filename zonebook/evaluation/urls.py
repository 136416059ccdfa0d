from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.RunList.as_view(), name="run_list"),
    path("schemes/", views.scheme_list, name="scheme_list"),
    path("schemes/<slug:code>/v<int:version>/", views.version_page, name="version"),
    path("schemes/<slug:code>/v<int:version>/edit/", views.version_edit, name="version_edit"),
    path("schemes/<slug:code>/v<int:version>/new/", views.version_new, name="version_new"),
    path("schemes/<slug:code>/v<int:version>/run/", views.run_new, name="run_new"),
    path("runs/<slug:run>/", views.run_page, name="run"),
    path("runs/<slug:run>/results/<int:pk>/", views.result_page, name="result"),
    path("runs/<slug:run>/what-if/", views.whatif_page, name="whatif"),
    path("runs/<slug:run>/compare/", views.compare_page, name="compare"),
    path("what-if/", views.whatif_start, name="whatif_start"),
    path("entities/<int:pk>/", views.entity_page, name="entity"),
]
