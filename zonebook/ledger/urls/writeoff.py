"""URLs of the write-off pages (included from ledger/urls.py, namespace ``ledger``)."""

from django.urls import path

from ..views import duty as views_duty
from ..views import writeoff as v

urlpatterns = [
    path("writeoffs/", v.writeoff_list, name="writeoff_list"),
    path("writeoffs/new/", v.writeoff_create, name="writeoff_create"),
    path("writeoffs/<int:pk>/", v.writeoff_detail, name="writeoff_detail"),
    path("writeoffs/<int:pk>/recompute/", v.writeoff_recompute, name="writeoff_recompute"),
    path("writeoffs/<int:pk>/stocktake/", v.writeoff_stocktake, name="writeoff_stocktake"),
    path("writeoffs/<int:pk>/state/<slug:target>/", v.writeoff_transition, name="writeoff_transition"),
    path("writeoffs/<int:pk>/export/", v.writeoff_export, name="writeoff_export"),
    path("difference-cases/", v.case_list, name="case_list"),
    path("difference-cases/<int:pk>/", v.case_resolve, name="case_resolve"),
    path("duty-calculator/", views_duty.duty_calculator, name="duty_calculator"),
]
