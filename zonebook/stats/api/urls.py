from . import views


def register(router):
    router.register("stats/values", views.ObservationViewSet, basename="stats-value")
    router.register("stats/ranking", views.FigureViewSet, basename="stats-figure")
    router.register("stats/figures", views.FiguresViewSet, basename="stats-figures")
