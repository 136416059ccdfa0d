from . import views


def register(router):
    router.register("ledger/books", views.BookViewSet, basename="ledger-book")
    router.register("ledger/items", views.BookItemViewSet, basename="ledger-item")
    router.register("ledger/consumption", views.ConsumptionViewSet, basename="ledger-consumption")
    router.register("ledger/lists", views.InventoryListViewSet, basename="ledger-list")
    router.register("ledger/balances", views.BalanceViewSet, basename="ledger-balance")
    from .writeoff import register as register_writeoff  # write-off (报核) endpoints

    register_writeoff(router)
    from .carryover import register as register_carryover  # carry-over (深加工结转) endpoints

    register_carryover(router)
