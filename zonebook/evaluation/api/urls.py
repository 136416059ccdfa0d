from . import views


def register(router):
    router.register("evaluation/schemes", views.VersionViewSet, basename="evaluation-scheme")
    router.register("evaluation/runs", views.RunViewSet, basename="evaluation-run")
    router.register("evaluation/results", views.ResultViewSet, basename="evaluation-result")
