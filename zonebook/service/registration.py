"""What the enterprise-service app adds to the platform (``core.modules``)."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

OFFICE = ("zone_staff", "zone_leader", "city_commerce", "province_commerce", "system_admin")
GROUP = _("Enterprise service")


def _request_link(obj, params):
    from django.urls import reverse

    return reverse("service:request_detail", args=[obj.pk]) if obj is not None else ""


MODULE = AppModule(
    app="zonebook.service",
    url_prefix="service",
    menu=[
        MenuEntry(_("Requests"), "service:request_list", group=GROUP, order=210),
        MenuEntry(_("Supervision of overdue items"), "service:supervision", group=GROUP, order=220, roles=OFFICE),
        MenuEntry(_("Request statistics"), "service:request_stats", group=GROUP, order=230, roles=OFFICE),
        MenuEntry(_("Visits and patrols"), "service:visit_list", group=GROUP, order=240, roles=OFFICE),
        MenuEntry(_("Visit summary table"), "service:visit_summary", group=GROUP, order=250, roles=OFFICE),
        MenuEntry(_("Liaison assignments"), "service:liaison_list", group=GROUP, order=260, roles=OFFICE),
        MenuEntry(_("My enterprises"), "service:my_enterprises", group=GROUP, order=270, roles=OFFICE),
        MenuEntry(_("Joint meetings"), "service:meeting_list", group=GROUP, order=275, roles=OFFICE),
        MenuEntry(_("Key enterprises"), "service:key_enterprises", group=GROUP, order=280, roles=OFFICE),
        MenuEntry(_("Operation reports"), "service:campaign_list", group=GROUP, order=290),
    ],
    panels=[
        DashboardPanel("service.liaison", _("My enterprises (liaison)"), "service/_panel_liaison.html",
                       context="zonebook.service.dashboard.liaison_panel", roles=OFFICE, order=40),
        DashboardPanel("service.supervision", _("Overdue requests (supervision)"), "service/_panel_supervision.html",
                       context="zonebook.service.dashboard.supervision_panel", roles=OFFICE, order=41),
    ],
    todos=[
        TodoCounter("service.unit_todo", _("Requests for my unit"), "service:request_list",
                    count="zonebook.service.dashboard.unit_todo_count", order=40),
        TodoCounter("service.overdue", _("Overdue requests"), "service:supervision",
                    count="zonebook.service.dashboard.overdue_count", roles=OFFICE, order=41, tone="danger"),
    ],
    notification_kinds=[
        dict(code="service.dispatched", title=_("Request %(number)s dispatched to your unit"),
             body=_("%(title)s"), label=_("Request dispatched"), link=_request_link),
        dict(code="service.reminder", title=_("Reminder: request %(number)s is waiting for your unit"),
             body=_("%(title)s"), label=_("Request reminder"), link=_request_link),
        dict(code="service.report_due", title=_("Operation report for %(date)s not yet submitted"),
             body=_("%(title)s: due %(due)s"), label=_("Operation report due")),
    ],
    schedules=[
        dict(name="service.report_reminders", func_path="zonebook.service.monitoring.run_reminders",
             cron="0 14 * * *", label=_("Remind enterprises of missing operation reports")),
    ],
    demo="zonebook.service.demo.load",
    demo_order=60,
)
