from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<int:pk>/", views.zone_detail, name="zone_detail"),
    path("zones/<int:pk>/edit/", views.zone_edit, name="zone_edit"),
    path("zones/<int:pk>/events/", views.zone_event_add, name="zone_event_add"),
    path("zones/<int:pk>/parks/new/", views.park_create, name="park_create"),
    path("parks/<int:pk>/edit/", views.park_edit, name="park_edit"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/options/", views.enterprise_options, name="enterprise_options"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprises/<int:pk>/status/", views.enterprise_status_add, name="enterprise_status_add"),
    path("enterprises/<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
]
