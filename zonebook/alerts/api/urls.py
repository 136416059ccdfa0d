from . import views


def register(router):
    router.register("alerts/alerts", views.AlertViewSet, basename="alerts-alert")
    router.register("alerts/flags", views.PlausibilityFlagViewSet, basename="alerts-flag")
