from . import views


def register(router):
    router.register("registry/zones", views.ZoneViewSet, basename="registry-zone")
    router.register("registry/parks", views.ParkViewSet, basename="registry-park")
    router.register("registry/zone-events", views.ZoneStatusEventViewSet, basename="registry-zone-event")
    router.register("registry/enterprises", views.EnterpriseViewSet, basename="registry-enterprise")
    router.register("registry/contacts", views.ContactViewSet, basename="registry-contact")
