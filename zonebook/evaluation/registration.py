"""What the evaluation adds to the platform (core.modules): menus after statistics, the province and
city dashboard panel, the demo runs."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry

EVALUATION = _("Evaluation")
OFFICES = ("system_admin", "province_commerce", "city_commerce", "zone_staff", "zone_leader", "customs_liaison")
PANEL_ROLES = ("province_commerce", "city_commerce")

MODULE = AppModule(
    app="zonebook.evaluation",
    url_prefix="evaluation",
    menu=[
        MenuEntry(_("Evaluation runs"), "evaluation:run_list", group=EVALUATION, order=450, roles=OFFICES),
        MenuEntry(_("Evaluation schemes"), "evaluation:scheme_list", group=EVALUATION, order=451, roles=OFFICES),
        MenuEntry(_("What-if"), "evaluation:whatif_start", group=EVALUATION, order=452, roles=OFFICES),
    ],
    panels=[
        DashboardPanel("evaluation.latest", _("Latest evaluation"), "evaluation/_panel_latest.html",
                       context="zonebook.evaluation.dashboard.latest_panel", roles=PANEL_ROLES, order=16, width=6),
    ],
    demo="zonebook.evaluation.demo.load",
    demo_order=65,
    demo_present="zonebook.evaluation.demo.present",
)
