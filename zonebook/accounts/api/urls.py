from . import views


def register(router):
    router.register("accounts/units", views.UnitViewSet, basename="accounts-unit")
