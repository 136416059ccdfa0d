from . import views


def register(router):
    router.register("operations/applications", views.ApplicationViewSet, basename="operations-application")
    router.register("operations/stock-notes", views.StockNoteViewSet, basename="operations-stocknote")
    router.register("operations/containers", views.ContainerViewSet, basename="operations-container")
    router.register("operations/passes", views.GatePassViewSet, basename="operations-pass")
    router.register("operations/gate-events", views.GateEventViewSet, basename="operations-gateevent")
    router.register("operations/flows", views.FlowDeclarationViewSet, basename="operations-flow")
    router.register("operations/batches", views.EntryBatchViewSet, basename="operations-batch")
