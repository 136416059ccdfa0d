from . import views


def register(router):
    router.register("bulletins", views.BulletinViewSet, basename="bulletin")
