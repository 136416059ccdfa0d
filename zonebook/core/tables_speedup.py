"""Cache django-tables2's per-cell work that depends only on the column.

django-tables2 calls ``utils.signature(fn)`` (``inspect.signature``) for every rendered cell to find
which keyword arguments a ``render_*`` method takes: on a 50-row, 12-column list that is 600
``inspect.signature`` calls per page, about a fifth of the table's rendering time
(docs/performance.md, "web").  The answer depends only on the function, so it is cached per
function object (weakly: functions built on the fly are not kept alive).

``TemplateColumn`` (and so ``DateColumn``/``DateTimeColumn``) compiles ``Template(template_code)``
for every cell; compiled templates are cached by their source text (a compiled Django template
is reusable and renders with whatever context it is given, as the template loaders' cache does).

``DateColumn``/``DateTimeColumn`` cells (``{{ value|date:"…"|default:default }}``) are rendered by
calling the ``date`` filter directly, with the template engine's local-time conversion, instead of
rendering a template per cell.

``Model.get_FOO_display()`` (which django-tables2 calls for every choices column cell) rebuilds
``dict(make_hashable(field.flatchoices))`` on every call, hashing each lazy label and so running
``gettext`` for every choice; the dictionary is cached per field (keyed by the identity of
``field.choices``, so a field whose choices are replaced gets a new one) and only the label that
is returned is translated.

Installed once from ``CoreConfig.ready``; behaviour is unchanged (``core/tests/test_rendering.py``).
"""

from __future__ import annotations

import functools
import re
import weakref

_DATE_TEMPLATE = re.compile(r'^\{\{ value\|date:"([^"]*)"\|default:default \}\}$')

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from django_tables2 import utils

    original = utils.signature
    cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def signature(fn):
        func = getattr(fn, "__func__", None)
        key, bound = (func, True) if func is not None else (fn, False)
        try:
            entry = cache.get(key)
        except TypeError:  # not weak-referenceable or unhashable: no caching
            return original(fn)
        if entry is None:
            entry = cache[key] = {}
        if bound not in entry:
            entry[bound] = original(fn)
        return entry[bound]

    utils.signature = signature

    from django.template import Template
    from django_tables2.columns import templatecolumn

    templatecolumn.Template = functools.lru_cache(maxsize=256)(Template)
    _install_date_columns()
    _install_choice_display()
    _installed = True


def _install_date_columns() -> None:
    from django.template.defaultfilters import date as date_filter
    from django.utils.html import conditional_escape
    from django.utils.timezone import template_localtime
    from django_tables2.columns import DateColumn, DateTimeColumn

    for cls in (DateColumn, DateTimeColumn):
        original = cls.render

        def render(self, record, table, value, bound_column, _original=original, **kwargs):
            match = _DATE_TEMPLATE.match(self.template_code or "")
            if match is None or self.extra_context:
                return _original(
                    self, record=record, table=table, value=value, bound_column=bound_column, **kwargs
                )
            text = date_filter(template_localtime(value), match.group(1))
            return conditional_escape(text if text else bound_column.default)

        cls.render = render


def _install_choice_display() -> None:
    from django.apps import apps
    from django.db.models import Model
    from django.utils.encoding import force_str
    from django.utils.hashable import make_hashable

    cache: dict[int, tuple[object, object, dict]] = {}

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name)
        value = getattr(self, field.attname)
        entry = cache.get(id(field))
        if entry is None or entry[0] is not field or entry[1] is not field.choices:
            choices = {make_hashable(k): v for k, v in field.flatchoices}
            entry = cache[id(field)] = (field, field.choices, choices)
        return force_str(entry[2].get(make_hashable(value), value), strings_only=True)

    # Field.contribute_to_class bound ``partialmethod(Model._get_FIELD_display, field=…)`` when the
    # model class was created; rebind those (and only those) to the cached version.
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            name = f"get_{field.name}_display"
            method = model.__dict__.get(name)
            if isinstance(method, functools.partialmethod) and method.func is Model._get_FIELD_display:
                setattr(model, name, functools.partialmethod(_get_FIELD_display, field=field))
