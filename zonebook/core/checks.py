"""Start-up checks of the app registrations (``core.modules``): Django system checks, so
``manage.py check``, ``migrate``, ``runserver`` and ``bin/start`` stop with a message naming the app
and the entry, instead of a 500 on the first page that would use it.

* ``zonebook.E001`` a menu entry or to-do counter names a URL that does not reverse;
* ``zonebook.E002`` a dashboard panel names a template that does not exist;
* ``zonebook.E003`` a dotted path (panel context, to-do count, menu visibility, demo loader, demo
  check, import kind, schedule function) does not import;
* ``zonebook.E004`` two menu entries link the same URL in the same place;
* ``zonebook.E005`` two dashboard panels (or two to-do counters) share a key;
* ``zonebook.E006`` two modules mount the same ``url_prefix``.
"""

from __future__ import annotations

from django.core.checks import Error, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse

from . import modules


def _paths(module: modules.AppModule):
    """(what, dotted path) of every callable the module names."""
    for e in module.menu:
        if e.visible:
            yield f"menu entry {e.url_name!r} visible", e.visible
    for p in module.panels:
        if p.context:
            yield f"dashboard panel {p.key!r} context", p.context
    for t in module.todos:
        yield f"to-do counter {t.key!r} count", t.count
    if module.demo:
        yield "demo loader", module.demo
    if module.demo_present:
        yield "demo_present", module.demo_present
    for path in module.import_kinds:
        yield "import kind", path
    for s in module.schedules:
        if s.get("func_path"):
            yield f"schedule {s.get('name')!r}", s["func_path"]


@register()
def check_registrations(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    menu_urls: dict[tuple[str, str], str] = {}
    panel_keys: dict[str, str] = {}
    todo_keys: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for module in modules.all_modules():
        app = module.app
        for e in module.menu:
            try:
                url = reverse(e.url_name)
            except NoReverseMatch:
                errors.append(Error(
                    f"{app}: menu entry {str(e.label)!r} names the URL {e.url_name!r}, which does not exist.",
                    hint="Use the name of a URL pattern without arguments (namespace:name).",
                    obj=app, id="zonebook.E001",
                ))
                continue
            key = (e.place, url)
            if key in menu_urls:
                errors.append(Error(
                    f"{app}: menu entry {e.url_name!r} links {url}, which {menu_urls[key]} links already.",
                    obj=app, id="zonebook.E004",
                ))
            else:
                menu_urls[key] = f"{app} ({e.url_name})"
        for t in module.todos:
            try:
                reverse(t.url_name)
            except NoReverseMatch:
                errors.append(Error(
                    f"{app}: to-do counter {t.key!r} names the URL {t.url_name!r}, which does not exist.",
                    obj=app, id="zonebook.E001",
                ))
            if t.key in todo_keys:
                errors.append(Error(
                    f"{app}: to-do counter key {t.key!r} is declared by {todo_keys[t.key]} already.",
                    obj=app, id="zonebook.E005",
                ))
            todo_keys.setdefault(t.key, app)
        for p in module.panels:
            try:
                get_template(p.template)
            except TemplateDoesNotExist:
                errors.append(Error(
                    f"{app}: dashboard panel {p.key!r} names the template {p.template!r}, which does not exist.",
                    obj=app, id="zonebook.E002",
                ))
            if p.key in panel_keys:
                errors.append(Error(
                    f"{app}: dashboard panel key {p.key!r} is declared by {panel_keys[p.key]} already.",
                    obj=app, id="zonebook.E005",
                ))
            panel_keys.setdefault(p.key, app)
        for what, path in _paths(module):
            try:
                modules.resolve(path)
            except (ImportError, AttributeError) as exc:
                errors.append(Error(
                    f"{app}: {what} {path!r} does not import: {exc}",
                    obj=app, id="zonebook.E003",
                ))
        if module.url_prefix is not None:
            if module.url_prefix in prefixes:
                errors.append(Error(
                    f"{app}: url_prefix {module.url_prefix!r} is mounted by {prefixes[module.url_prefix]} already.",
                    obj=app, id="zonebook.E006",
                ))
            prefixes.setdefault(module.url_prefix, app)
    return errors
