from . import views


def register(router):
    router.register("service/requests", views.RequestViewSet, basename="service-request")
    router.register("service/visits", views.VisitViewSet, basename="service-visit")
    router.register("service/liaisons", views.LiaisonViewSet, basename="service-liaison")
    router.register("service/campaigns", views.CampaignViewSet, basename="service-campaign")
    router.register("service/operation-reports", views.OperationReportViewSet, basename="service-operation-report")
