from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

OFFICE = ("zone_staff", "zone_leader")
G = _("Operations")

MODULE = AppModule(
    app="zonebook.operations",
    url_prefix="operations",
    menu=[
        MenuEntry(_("Application centre"), "operations:application_list", group=G, order=110),
        MenuEntry(_("Counter (窗口)"), "operations:counter", group=G, order=120, roles=OFFICE + ("system_admin",)),
        MenuEntry(_("Application statistics"), "operations:statistics", group=G, order=130),
        MenuEntry(_("Application types"), "operations:type_list", group=G, order=140),
        MenuEntry(_("Gate officer"), "operations:gate_officer", group=G, order=150, roles=OFFICE + ("system_admin",)),
        MenuEntry(_("Gate passes"), "operations:pass_list", group=G, order=160),
        MenuEntry(_("Containers (集装箱)"), "operations:container_list", group=G, order=165),
        MenuEntry(_("Gate log"), "operations:event_list", group=G, order=170),
        MenuEntry(_("Gate figures"), "operations:gate_figures", group=G, order=180),
        MenuEntry(_("Gates (一卡/二卡)"), "operations:gates", group=G, order=182),
        MenuEntry(_("Bonded goods flows"), "operations:flow_queue", group=G, order=185),
        MenuEntry(_("Zone rule lists"), "operations:rule_lists", group=G, order=190),
    ],
    panels=[
        DashboardPanel("operations.office", _("Zone office: applications and gate"), "operations/_dashboard.html",
                       context="zonebook.operations.dashboard.office_panel", roles=OFFICE, order=20),
    ],
    todos=[
        TodoCounter("operations.todo", _("Applications to handle"), "operations:application_list",
                    count="zonebook.operations.dashboard.todo_count", roles=OFFICE),
        TodoCounter("operations.overdue", _("Overdue applications"), "operations:application_list",
                    count="zonebook.operations.dashboard.overdue_count", roles=OFFICE, tone="danger"),
        TodoCounter("operations.gate_exceptions", _("Open gate exceptions"), "operations:gate_officer",
                    count="zonebook.operations.dashboard.gate_exception_count", roles=OFFICE, tone="warning"),
        TodoCounter("operations.returned", _("Applications returned to you"), "operations:application_list",
                    count="zonebook.operations.dashboard.returned_count", roles=("enterprise",), tone="warning"),
    ],
    notification_kinds=[
        dict(code="operations.submitted", label=_("Application submitted"),
             title=_("Application %(no)s submitted: %(type)s"), body=_("%(enterprise)s")),
        dict(code="operations.returned", label=_("Application returned for correction"),
             title=_("Application %(no)s returned for correction"), body=_("%(type)s · %(reason)s")),
        dict(code="operations.decided", label=_("Application decided"),
             title=_("Application %(no)s: %(status)s"), body=_("%(type)s")),
        dict(code="operations.gate_exception", label=_("Gate exception"),
             title=_("Gate exception on pass %(no)s"), body=_("%(reason)s")),
        dict(code="operations.safety_notice", label=_("Safety-production notice"),
             title=_("Safety notice (%(zone)s): %(title)s"), body=_("%(body)s")),
    ],
    import_kinds=["zonebook.operations.importers.VehicleImport",
                  "zonebook.operations.importers.ContainerImport", "zonebook.operations.importers.StockNoteImport",
                  "zonebook.operations.importers.GatePassImport"],
    demo="zonebook.operations.demo.load",
    demo_order=60,
)
