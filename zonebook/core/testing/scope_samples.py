"""Out-of-scope sample objects for the URL-walking scope test.

Each scoped model reachable by id in a URL registers a function that, given the ``world`` fixture,
returns an instance that the Sichuan users cannot see (it lives in Chongqing, zone c1).  A model
without a sample makes the walking test fail, so new routes are covered automatically.  The samples
live with the apps whose models they build (``<app>/tests/scope_samples.py``); core keeps the registry.
"""

from __future__ import annotations

from collections.abc import Callable

SAMPLES: dict[str, Callable] = {}


def register(label: str):
    def deco(fn):
        SAMPLES[label.lower()] = fn
        return fn

    return deco


def load_app_samples():
    """Apps with their own samples put them in ``<app>/tests/scope_samples.py``; import them all."""
    from importlib import import_module

    from django.conf import settings

    for app in settings.INSTALLED_APPS:
        if app.startswith("zonebook."):
            try:
                import_module(f"{app}.tests.scope_samples")
            except ModuleNotFoundError as exc:
                if exc.name not in (f"{app}.tests", f"{app}.tests.scope_samples"):
                    raise
