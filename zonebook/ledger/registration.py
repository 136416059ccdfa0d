"""What the bonded ledger adds to the platform (core.modules): menus, dashboard panels, to-dos, demo."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

LEDGER = _("Bonded ledger")
PROVINCE_CITY = ("system_admin", "province_commerce", "city_commerce", "customs_liaison")
ZONE = ("zone_staff", "zone_leader")


def not_enterprise(user) -> bool:
    """The oversight page is for the offices, not for an enterprise's own users."""
    return user.scope_level != "enterprise"


MODULE = AppModule(
    app="zonebook.ledger",
    url_prefix="ledger",
    menu=[
        MenuEntry(_("Bonded books"), "ledger:book_list", group=LEDGER, order=30),
        MenuEntry(_("Inventory lists"), "ledger:list_list", group=LEDGER, order=31),
        MenuEntry(_("Balances"), "ledger:balance_list", group=LEDGER, order=32),
        MenuEntry(_("Write-offs (报核)"), "ledger:writeoff_list", group=LEDGER, order=33),
        MenuEntry(_("Carry-overs (深加工结转)"), "ledger:carryover_list", group=LEDGER, order=34),
        MenuEntry(_("Domestic-sale calculator (内销试算)"), "ledger:duty_calculator", group=LEDGER, order=35),
        MenuEntry(
            _("Ledger oversight"),
            "ledger:oversight",
            group=LEDGER,
            order=39,
            divider=True,
            visible="zonebook.ledger.registration.not_enterprise",
        ),
        MenuEntry(
            _("Month close (月结)"),
            "ledger:monthclose_list",
            group=LEDGER,
            order=40,
            visible="zonebook.ledger.registration.not_enterprise",
        ),
    ],
    panels=[
        DashboardPanel(
            "ledger.zones",
            _("Bonded ledger by zone"),
            "ledger/_dashboard_zones.html",
            context="zonebook.ledger.dashboard.zones_panel",
            roles=PROVINCE_CITY,
            order=20,
            width=12,
        ),
        DashboardPanel(
            "ledger.oversight",
            _("Ledger oversight"),
            "ledger/_dashboard_oversight.html",
            context="zonebook.ledger.dashboard.oversight_panel",
            roles=ZONE,
            order=20,
            width=12,
        ),
        DashboardPanel(
            "ledger.my_books",
            _("My bonded books"),
            "ledger/_dashboard_books.html",
            context="zonebook.ledger.dashboard.books_panel",
            roles=("enterprise",),
            order=10,
            width=12,
        ),
    ],
    todos=[
        TodoCounter(
            "ledger.red_books",
            _("Books with red deadlines"),
            "ledger:oversight",
            count="zonebook.ledger.dashboard.red_books_count",
            roles=ZONE + ("enterprise",),
            order=10,
            tone="danger",
        ),
        TodoCounter(
            "ledger.writeoffs_submitted",
            _("Write-offs awaiting customs"),
            "ledger:writeoff_list",
            count="zonebook.ledger.dashboard.writeoffs_submitted_count",
            roles=ZONE,
            order=20,
            tone="warning",
        ),
    ],
    schedules=[
        # month close: on the 1st (Asia/Shanghai) close the previous month and any month before it
        # still open; every day the everyday check (last verified snapshot + the open months' lines);
        # every Sunday the full from-scratch verification with its progress bar (docs/ledger.md)
        dict(
            name="ledger.monthclose",
            func_path="zonebook.ledger.jobs.close_previous_month_job",
            cron="30 1 1 * *",
            label=_("Close the previous month of the bonded ledger"),
        ),
        dict(
            name="ledger.check_open",
            func_path="zonebook.ledger.jobs.check_open_job",
            cron="0 3 * * *",
            label=_("Everyday check of the ledger balances (since the last month close)"),
        ),
        dict(
            name="ledger.verify_full",
            func_path="zonebook.ledger.jobs.verify_job",
            cron="0 4 * * 0",
            label=_("Full verification of the ledger balances"),
        ),
    ],
    demo="zonebook.ledger.demo.load",
    demo_order=20,
    demo_present="zonebook.ledger.demo.present",
)
