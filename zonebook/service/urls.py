from django.urls import path

from . import views, views_liaison, views_meetings, views_monitoring, views_supervision

app_name = "service"
urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    path("supervision/", views_supervision.supervision, name="supervision"),
    path("supervision/notice/<int:pk>.<str:fmt>", views_supervision.reminder_notice, name="reminder_notice"),
    path("statistics/", views_supervision.request_stats, name="request_stats"),
    path("visits/", views_liaison.visit_list, name="visit_list"),
    path("visits/new/", views_liaison.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views_liaison.visit_detail, name="visit_detail"),
    path("visits/summary/", views_liaison.visit_summary, name="visit_summary"),
    path("liaisons/", views_liaison.liaison_list, name="liaison_list"),
    path("liaisons/new/", views_liaison.liaison_create, name="liaison_create"),
    path("liaisons/<int:pk>/end/", views_liaison.liaison_end, name="liaison_end"),
    path("my-enterprises/", views_liaison.my_enterprises, name="my_enterprises"),
    path("meetings/", views_meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", views_meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views_meetings.meeting_detail, name="meeting_detail"),
    path("decisions/<int:pk>/done/", views_meetings.decision_done, name="decision_done"),
    path("key-enterprises/", views_monitoring.key_enterprises, name="key_enterprises"),
    path("key-enterprises/<int:pk>/tier/", views_monitoring.set_tier, name="set_tier"),
    path("reports/", views_monitoring.campaign_list, name="campaign_list"),
    path("reports/new/", views_monitoring.campaign_create, name="campaign_create"),
    path("reports/<int:pk>/", views_monitoring.campaign_detail, name="campaign_detail"),
    path("reports/<int:pk>/submit/", views_monitoring.report_submit, name="report_submit"),
    path("reports/<int:pk>/bulletin.<str:fmt>", views_monitoring.bulletin, name="bulletin"),
]
