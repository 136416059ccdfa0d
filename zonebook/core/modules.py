"""App registration: each app declares what it adds to the platform in one place (DESIGN.md section 1).

An app puts one ``AppModule`` in ``zonebook/<app>/registration.py``::

    from django.utils.translation import gettext_lazy as _
    from zonebook.core.modules import AppModule, DashboardPanel, MenuEntry, TodoCounter

    MODULE = AppModule(
        app="zonebook.operations",
        url_prefix="operations",                 # mounts zonebook/operations/urls.py at /operations/
        menu=[MenuEntry(_("Applications"), "operations:application_list", group=_("Operations"))],
        panels=[DashboardPanel("operations.todo", _("Applications to handle"),
                               "operations/_dashboard_todo.html", context="zonebook.operations.dashboard.todo",
                               roles=("zone_staff",))],
        todos=[TodoCounter("operations.pending", _("Applications waiting"), "operations:application_list",
                           count="zonebook.operations.dashboard.pending_count")],
        notification_kinds=[dict(code="operations.returned", title=_("Application returned: %(no)s"))],
        schedules=[dict(name="operations.daily", func_path="zonebook.operations.jobs.daily",
                        cron="0 6 * * *", label=_("Daily gate figures"))],
        import_kinds=["zonebook.operations.importers.VehicleImport"],
        demo="zonebook.operations.demo.load", demo_order=50,
    )

``core`` discovers these files at start-up (``autodiscover``) and keeps them here as plain data; the
platform apps read them (``core.menus`` builds the navigation of ``base.html``, ``zonebook.home`` the
role dashboards, ``notify`` registers the kinds, ``jobs`` the schedules, ``core.imports`` the import
kinds, ``zonebook.demo``'s ``load_demo`` runs the loaders in ``demo_order``; ``core/checks.py``
checks every declaration at start-up).  How-to: docs/app-registration.md.  So
adding an app edits no shared template, settings list or URL list.  Callables are given as dotted
paths (resolved lazily, checked at start-up by the ``zonebook.E0xx`` system checks) so that this
module and the registration files import nothing heavy.

Role names are the ``accounts.User.role`` values (e.g. ``system_admin``, ``province_commerce``,
``city_commerce``, ``zone_staff``, ``enterprise``, ``customs_liaison``); an empty ``roles`` means all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class MenuEntry:
    """A navigation link; entries with the same ``group`` form one dropdown (empty group: top level)."""

    label: Any
    url_name: str
    group: Any = ""
    icon: str = ""
    order: int = 100
    roles: tuple[str, ...] = ()
    # dotted path of ``f(user) -> bool`` for finer rules (e.g. a write area); None = by roles only
    visible: str | None = None
    # "main": the navigation bar; "user": the user's dropdown (account, settings pages)
    place: str = "main"
    # a separator line before this entry inside its dropdown
    divider: bool = False


@dataclass(frozen=True)
class DashboardPanel:
    """A card on the home dashboard of the given roles.

    ``template`` is rendered with the dict returned by ``context(request)`` (dotted path); ``width``
    is the Bootstrap column count (of 12) on wide screens.
    """

    key: str
    title: Any
    template: str
    context: str | None = None
    roles: tuple[str, ...] = ()
    order: int = 100
    width: int = 6


@dataclass(frozen=True)
class TodoCounter:
    """A number on the home page's to-do strip: ``count(user) -> int`` (dotted path), linking to ``url_name``."""

    key: str
    label: Any
    url_name: str
    count: str
    roles: tuple[str, ...] = ()
    order: int = 100
    # "danger" for overdue items, "warning" for items due soon, "primary" otherwise
    tone: str = "primary"


@dataclass(frozen=True)
class AppModule:
    app: str
    url_prefix: str | None = None
    menu: Sequence[MenuEntry] = ()
    panels: Sequence[DashboardPanel] = ()
    todos: Sequence[TodoCounter] = ()
    # keyword arguments of ``zonebook.notify.registry.register_kind``
    notification_kinds: Sequence[dict] = ()
    # keyword arguments of ``zonebook.jobs.schedules.register``
    schedules: Sequence[dict] = ()
    # dotted paths of ``core.imports.kinds.ImportKind`` subclasses
    import_kinds: Sequence[str] = ()
    # dotted path of ``load(stdout) -> None``, run inside the demo's one transaction, after every
    # module with a smaller ``demo_order``
    demo: str | None = None
    demo_order: int = 100
    # dotted path of ``present() -> bool``: this module's demo data is in the database already (so
    # ``load_demo --if-empty`` completes a demo left incomplete module by module); None = run the
    # loader whenever the demo is completed (loaders skip what exists)
    demo_present: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.app.rsplit(".", 1)[-1]


_MODULES: dict[str, AppModule] = {}


def register(module: AppModule) -> AppModule:
    old = _MODULES.get(module.app)
    if old is not None and old != module:
        raise ValueError(f"{module.app} is registered twice with different declarations")
    _MODULES[module.app] = module
    return module


def unregister(app: str) -> None:
    _MODULES.pop(app, None)


def all_modules() -> list[AppModule]:
    return list(_MODULES.values())


def get(app: str) -> AppModule | None:
    return _MODULES.get(app)


def resolve(path: str) -> Callable[..., Any] | Any:
    """``"pkg.mod.attr"`` -> the attribute (ImportError / AttributeError name the path)."""
    module_path, _, attr = path.rpartition(".")
    if not module_path:
        raise ImportError(f"{path!r} is not a dotted path")
    module = import_module(module_path)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise AttributeError(f"{module_path} has no attribute {attr!r} (registered as {path!r})") from None


def autodiscover(app_names: Sequence[str]) -> None:
    """Import ``<app>.registration`` for every given app and register its ``MODULE``."""
    for name in app_names:
        if not name.startswith("zonebook."):
            continue
        try:
            mod = import_module(f"{name}.registration")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.registration":
                raise
            continue
        module = getattr(mod, "MODULE", None)
        if not isinstance(module, AppModule):
            raise ImportError(f"{name}.registration has no MODULE = AppModule(...)")
        register(module)


def discover_apps(base_dir, known: Sequence[str]) -> list[str]:
    """Dotted names of the apps under ``zonebook/`` that ``known`` does not list (sorted).

    Used by settings: platform apps are listed in order; domain apps are found by their ``apps.py``.
    """
    found = []
    for apps_py in sorted((base_dir / "zonebook").glob("*/apps.py")):
        name = f"zonebook.{apps_py.parent.name}"
        if name not in known:
            found.append(name)
    return found
