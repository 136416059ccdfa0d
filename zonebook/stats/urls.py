from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.home, name="dashboard"),
    path("entities/<int:pk>/", views.entity_page, name="entity"),
    path("values/", views.ObservationList.as_view(), name="observation_list"),
    path("ranking/", views.RankingList.as_view(), name="ranking"),
    path("returns/", views.SubmissionList.as_view(), name="submission_list"),
    path("returns/<int:pk>/", views.submission, name="submission"),
    path("returns/<int:pk>/review/", views.review, name="review"),
    path("report/<int:entity_pk>/<str:period>/", views.report, name="report"),
    path("not-reported/", views.not_reported, name="not_reported"),
    path("figures.json", views.figures_json, name="figures_json"),
]
