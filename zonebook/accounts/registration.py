"""What accounts add to the platform (core.modules): the account pages in the user menu."""

from django.utils.translation import gettext_lazy as _

from zonebook.core.modules import AppModule, MenuEntry


def is_user_admin(user) -> bool:
    return user.is_user_admin


MODULE = AppModule(
    app="zonebook.accounts",
    menu=[
        MenuEntry(_("Change password"), "accounts:password_change", place="user", order=10),
        MenuEntry(_("Login history"), "accounts:login_history", place="user", order=20),
        MenuEntry(_("Users"), "accounts:user_list", place="user", order=30),
        MenuEntry(_("Units"), "accounts:unit_list", place="user", order=40),
        MenuEntry(
            _("Machine tokens"),
            "accounts:token_list",
            place="user",
            order=50,
            visible="zonebook.accounts.registration.is_user_admin",
        ),
    ],
    # the demo users and units, after the registry's zones and enterprises (the administrator the demo
    # acts as is created before every loader: zonebook.demo.runner)
    demo="zonebook.accounts.demo.load",
    demo_order=5,
    demo_present="zonebook.accounts.demo.present",
)
