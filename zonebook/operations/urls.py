from django.urls import path

from . import views, views_flows, views_gate

app_name = "operations"
urlpatterns = [
    path("", views.ApplicationList.as_view(), name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/act/", views.application_act, name="application_act"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/exception/", views.application_exception, name="application_exception"),
    path("counter/", views.counter, name="counter"),
    path("statistics/", views.statistics, name="statistics"),
    path("types/", views.type_list, name="type_list"),
    path("types/<slug:code>/", views.type_edit, name="type_edit"),
    path("gate/", views_gate.gate_officer, name="gate_officer"),
    path("gate/exceptions/<int:pk>/decide/", views_gate.exception_decide, name="exception_decide"),
    path("gate/passes/", views_gate.GatePassList.as_view(), name="pass_list"),
    path("gate/passes/<int:pk>/", views_gate.pass_detail, name="pass_detail"),
    path("gate/passes/<int:pk>/approve/", views_gate.pass_approve, name="pass_approve"),
    path("gate/containers/", views_gate.ContainerList.as_view(), name="container_list"),
    path("gate/containers/new/", views_gate.container_create, name="container_create"),
    path("gate/containers/<int:pk>/", views_gate.container_detail, name="container_detail"),
    path("gate/stock-notes/<int:pk>/", views_gate.note_detail, name="note_detail"),
    path("gate/log/", views_gate.GateEventList.as_view(), name="event_list"),
    path("gate/figures/", views_gate.gate_figures, name="gate_figures"),
    path("gate/gates/", views_gate.gates, name="gates"),
    path("rules/", views_gate.rule_lists, name="rule_lists"),
    path("flows/", views_flows.flow_queue, name="flow_queue"),
    path("flows/batches/<int:pk>/", views_flows.batch_detail, name="batch_detail"),
    path("flows/batches/<int:pk>/release/", views_flows.batch_release, name="batch_release"),
]
