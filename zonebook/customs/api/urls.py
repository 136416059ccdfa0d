from . import views


def register(router):
    router.register("customs/inbox", views.InboxViewSet, basename="customs-inbox")
    router.register("customs/receipts", views.ReceiptViewSet, basename="customs-receipt")
