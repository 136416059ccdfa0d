"""URLs of the carry-over (深加工结转) pages (included from ledger/urls.py, namespace ``ledger``)."""

from django.urls import path

from ..views import carryover as v

urlpatterns = [
    path("carryovers/", v.carryover_list, name="carryover_list"),
    path("carryovers/new/", v.carryover_create, name="carryover_create"),
    path("carryovers/queue/", v.queue_list, name="carryover_queue"),
    path("carryovers/<int:pk>/", v.carryover_detail, name="carryover_detail"),
    path("carryovers/<int:pk>/matching/", v.carryover_matching, name="carryover_matching"),
    path("carryovers/<int:pk>/link/", v.carryover_link, name="carryover_link"),
    path("carryovers/<int:pk>/unlink/", v.carryover_unlink, name="carryover_unlink"),
    path("carryovers/<int:pk>/match/", v.carryover_match, name="carryover_match"),
    path("carryovers/<int:pk>/auto-match/", v.carryover_auto_match, name="carryover_auto_match"),
    path("carryovers/<int:pk>/state/<slug:target>/", v.carryover_transition, name="carryover_transition"),
    path("carryover-pairings/<int:pk>/unmatch/", v.carryover_unmatch, name="carryover_unmatch"),
]
