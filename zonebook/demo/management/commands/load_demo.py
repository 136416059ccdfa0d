"""``manage.py load_demo [--if-empty]``: the demo province, from every app's demo loader.

Each app declares its loader in its registration (``AppModule.demo``, ``demo_order``,
``demo_present``); the registry's comes first (``zonebook.registry.demo``: zones, enterprises, users),
then the ledger's, the alerts', the attachments' and every module's.  All or nothing: the loaders run
in one transaction, so a failure at any step leaves the database as it was.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zonebook.demo import runner


class Command(BaseCommand):
    help = "Load the demo province (Sichuan-like, 510000) and every module's demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database holds zones already (a demo left incomplete is completed)",
        )

    def handle(self, *args, if_empty=False, **options):
        from zonebook.registry import demo as base

        mods = runner.demo_modules()
        if base.holds_data():
            missing = runner.missing(mods) if base.demo_started() else []
            if if_empty and missing:
                # a demo loaded in part (by a version before a module existed, or one that committed in
                # parts): run the loaders again; each skips what is there
                self.stdout.write(
                    "The demo was loaded only in part (missing: "
                    + ", ".join(m.label for m in missing)
                    + "); completing it."
                )
                with transaction.atomic():
                    runner.run(mods, self.stdout)
                self.stdout.write(self.style.SUCCESS("Demo province completed."))
                return
            if if_empty:
                self.stdout.write("Zones exist already; demo data not loaded.")
                return
            raise CommandError(
                "The database already holds zones; load the demo only into an empty database (or use --if-empty)."
            )
        with transaction.atomic():
            runner.run(mods, self.stdout)
        self.stdout.write("Run `manage.py print_demo_logins` for the user names and passwords.")
