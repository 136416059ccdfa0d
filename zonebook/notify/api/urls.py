from . import views


def register(router):
    router.register("notifications", views.NotificationViewSet, basename="notification")
