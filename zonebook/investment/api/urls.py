from . import views


def register(router):
    router.register("investment/projects", views.ProjectViewSet, basename="investment-project")
    router.register("investment/investors", views.InvestorViewSet, basename="investment-investor")
    router.register("investment/events", views.EventViewSet, basename="investment-event")
    router.register("investment/tasks", views.PolicyTaskViewSet, basename="investment-task")
    router.register("investment/statistics", views.StatisticsViewSet, basename="investment-statistics")
