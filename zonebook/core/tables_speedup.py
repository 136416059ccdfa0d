"""Cache django-tables2's per-cell work that depends only on the column.

django-tables2 calls ``utils.signature(fn)`` (``inspect.signature``) for every rendered cell to find
which keyword arguments a ``render_*`` method takes: on a 50-row, 12-column list that is 600
``inspect.signature`` calls per page, about a fifth of the table's rendering time
(docs/performance.md, "web").  The answer depends only on the function, so it is cached per
function object (weakly: functions built on the fly are not kept alive).

``TemplateColumn`` (and so ``DateColumn``/``DateTimeColumn``) compiles ``Template(template_code)``
for every cell; compiled templates are cached by their source text (a compiled Django template
is reusable and renders with whatever context it is given, as the template loaders' cache does).

Installed once from ``CoreConfig.ready``; behaviour is unchanged.
"""

from __future__ import annotations

import functools
import weakref

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
    _installed = True
