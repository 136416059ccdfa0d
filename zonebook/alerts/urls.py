from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.AlertList.as_view(), name="alert_list"),
    path("refresh/", views.refresh, name="refresh"),
    path("<int:pk>/", views.alert_detail, name="alert_detail"),
    path("<int:pk>/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path("plausibility/", views.PlausibilityFlagList.as_view(), name="flag_list"),
    path("plausibility/<int:pk>/", views.flag_detail, name="flag_detail"),
]
