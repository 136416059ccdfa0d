"""Running the demo loaders the apps declare in their registrations (``AppModule.demo``).

The registry's loader is the base (zones, enterprises, users, units; ``demo_order`` 0); every other
loader runs after it in ``demo_order`` and skips what exists.  ``load_demo`` runs them all inside one
transaction under ``acting_as("demo")``: all or nothing.
"""

from __future__ import annotations

from zonebook.core import modules
from zonebook.core.context import acting_as


def demo_modules() -> list[modules.AppModule]:
    """The modules with a demo loader, in ``demo_order`` (then app name)."""
    return sorted((m for m in modules.all_modules() if m.demo), key=lambda m: (m.demo_order, m.app))


def missing(mods=None) -> list[modules.AppModule]:
    """Modules whose ``demo_present()`` says their demo data is not in the database."""
    return [m for m in (mods if mods is not None else demo_modules()) if m.demo_present and not modules.resolve(m.demo_present)()]


def run(mods, stdout) -> None:
    from zonebook.accounts.demo import bootstrap_admin

    with acting_as("demo"):
        bootstrap_admin()  # every loader acts as the demo administrator
        for m in mods:
            modules.resolve(m.demo)(stdout)
