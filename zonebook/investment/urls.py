"""URLs of the investment pages (mounted at /investment/ by registration.py, namespace ``investment``)."""

from django.urls import path

from . import views as v

app_name = "investment"

urlpatterns = [
    path("", v.project_list, name="project_list"),
    path("projects/new/", v.project_create, name="project_create"),
    path("projects/<int:pk>/", v.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", v.project_edit, name="project_edit"),
    path("projects/<int:pk>/milestones/", v.milestone_add, name="milestone_add"),
    path("projects/<int:pk>/terminal/", v.project_terminal, name="project_terminal"),
    path("projects/<int:pk>/screening/", v.project_screen, name="project_screen"),
    path("statistics/", v.statistics, name="statistics"),
    path("targets/", v.target_set, name="target_set"),
    path("investors/", v.investor_list, name="investor_list"),
    path("investors/new/", v.investor_create, name="investor_create"),
    path("investors/<int:pk>/", v.investor_detail, name="investor_detail"),
    path("events/", v.event_list, name="event_list"),
    path("events/new/", v.event_create, name="event_create"),
    path("databases/", v.databases, name="databases"),
    path("databases/<slug:key>/", v.database, name="database"),
    path("policies/", v.document_list, name="document_list"),
    path("policies/<int:pk>/", v.document_detail, name="document_detail"),
    path("policies/<int:pk>/dispatch/", v.document_dispatch, name="document_dispatch"),
    path("tasks/", v.task_list, name="task_list"),
    path("tasks/<int:pk>/", v.task_detail, name="task_detail"),
    path("tasks/<int:pk>/report/", v.task_report, name="task_report"),
    path("tasks/<int:pk>/reports/<int:report_pk>/return/", v.report_return, name="report_return"),
    path("scorecards/", v.scorecards, name="scorecards"),
]
