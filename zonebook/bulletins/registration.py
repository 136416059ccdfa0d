"""What the bulletins app (通报) adds to the platform (``core.modules``): the bulletin list in the
statistics menu, the publication notification, the scheduled monthly build and the demo bulletin."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry

OFFICES = ("system_admin", "province_commerce", "city_commerce", "zone_staff", "zone_leader")


def _bulletin_link(obj, params):
    from django.urls import reverse

    return reverse("bulletins:detail", args=[obj.pk]) if obj is not None else ""


MODULE = AppModule(
    app="zonebook.bulletins",
    url_prefix="bulletins",
    menu=[
        MenuEntry(_("Bulletins"), "bulletins:list", group=_("Statistics"), order=470, roles=OFFICES),
    ],
    notification_kinds=[
        dict(code="bulletins.published", title=_("Bulletin published: %(title)s"),
             body=_("%(number)s, version %(version)s"), label=_("Bulletins published"), link=_bulletin_link),
    ],
    schedules=[
        dict(name="bulletins.monthly", func_path="zonebook.bulletins.jobs.monthly_job", cron="0 8 * * *",
             label=_("Build last month's bulletins once their data is reviewed")),
    ],
    demo="zonebook.bulletins.demo.load",
    demo_order=70,
    demo_present="zonebook.bulletins.demo.present",
)
