"""What the registry adds to the platform (core.modules): its menu entries and dashboard panels."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry

STAFF = ("system_admin", "province_commerce", "city_commerce", "customs_liaison")

MODULE = AppModule(
    app="zonebook.registry",
    menu=[
        MenuEntry(_("Zones"), "registry:zone_list", order=10),
        MenuEntry(_("Enterprises"), "registry:enterprise_list", order=20),
    ],
    panels=[
        DashboardPanel(
            "registry.zones",
            _("Zones and enterprises"),
            "registry/_dashboard_zones.html",
            context="zonebook.registry.dashboard.zones_panel",
            roles=STAFF,
            order=10,
            width=12,
        ),
    ],
    # the base of the demo: code tables, zones, parks, enterprises, users, units (load_demo runs it first)
    demo="zonebook.registry.demo.load",
    demo_order=0,
    demo_present="zonebook.registry.demo.demo_started",
)
