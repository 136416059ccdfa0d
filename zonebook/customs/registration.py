"""What the customs messages add to the platform (core.modules): menu in the ledger's area, import kinds, demo."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry, TodoCounter

LEDGER = _("Bonded ledger")

MODULE = AppModule(
    app="zonebook.customs",
    url_prefix="customs",
    menu=[
        MenuEntry(_("Customs messages (INV101)"), "customs:message_list", group=LEDGER, order=36),
        MenuEntry(_("Customs receipt queue"), "customs:queue", group=LEDGER, order=37),
    ],
    todos=[
        TodoCounter(
            "customs.queue",
            _("Customs receipts waiting or held"),
            "customs:queue",
            count="zonebook.customs.dashboard.queue_count",
            roles=("zone_staff", "zone_leader", "enterprise"),
            order=15,
            tone="warning",
        ),
    ],
    import_kinds=["zonebook.customs.importers.Inv101Import", "zonebook.customs.importers.ReceiptImport"],
    demo="zonebook.customs.demo.load",
    demo_order=46,
    demo_present="zonebook.customs.demo.present",
)
