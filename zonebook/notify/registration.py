"""What notifications add to the platform (core.modules): the dashboard panel and to-do counter.

The escalation kind and the e-mail retry schedule (only with e-mail on) stay in ``NotifyConfig.ready``:
they are the notify machinery's own, conditional, and installed with the SLA notifier.
"""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, DashboardPanel, TodoCounter

MODULE = AppModule(
    app="zonebook.notify",
    panels=[
        DashboardPanel(
            "notify.latest",
            _("Latest notifications"),
            "notify/_dashboard_latest.html",
            context="zonebook.notify.dashboard.latest_panel",
            order=50,
            width=6,
        ),
    ],
    todos=[
        TodoCounter(
            "notify.unread",
            _("Unread notifications"),
            "notify:list",
            count="zonebook.notify.dashboard.unread_count",
            order=90,
        ),
    ],
)
