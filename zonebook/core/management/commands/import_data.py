"""manage.py import_data <kind> <file> [--dry-run] [--update] [--user USERNAME]

Exit status 0 and the counts on success; 1 with one line per error (``row N, column X: reason``)
and nothing written otherwise.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zonebook.core import context
from zonebook.core.imports import pipeline, updates
from zonebook.core.imports.kinds import all_kinds, get_kind
from zonebook.core.permissions import may_write


class Command(BaseCommand):
    help = "Import a spreadsheet (xlsx/xls/csv) of one import kind; all rows are written or none."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="Import kind: " + ", ".join(k.key for k in all_kinds()))
        parser.add_argument("file", help="Path of the .xlsx, .xls or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and write nothing")
        parser.add_argument("--user", help="Import as this user (scope and audit); default: system")
        parser.add_argument(
            "--update",
            action="store_true",
            help="Update mode: a row whose key exists updates that record (kinds with an update mode)",
        )

    def handle(self, *args, **opts):
        kind_cls = get_kind(opts["kind"])
        if kind_cls is None:
            raise CommandError(
                f"Unknown import kind {opts['kind']!r}; choose one of: "
                + ", ".join(k.key for k in all_kinds())
            )
        mode = updates.UPDATE if opts.get("update") else updates.CREATE
        if mode == updates.UPDATE and not kind_cls.update_mode:
            raise CommandError(
                f"Import kind {kind_cls.key!r} has no update mode; kinds with one: "
                + ", ".join(k.key for k in all_kinds() if k.update_mode)
            )
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if opts.get("user"):
            try:
                user = get_user_model().objects.get(username=opts["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No such user: {opts['user']}")
            if not may_write(user, kind_cls.write_area):
                raise CommandError(f"User {user.username} may not import {kind_cls.key}")
        with context.acting_as("command", user_id=user.pk if user else None):
            result = pipeline.run(kind_cls, path, path.name, user, dry_run=opts["dry_run"], mode=mode)
        if not result.ok:
            for err in result.errors:
                self.stderr.write(str(err))
            if result.error_count > len(result.errors):
                self.stderr.write(f"... and {result.error_count - len(result.errors)} more errors")
            self.stderr.write(f"{result.error_count} errors; nothing was written.")
            raise SystemExit(1)
        for notice in result.notices:
            self.stdout.write(notice)
        if result.updating:
            self.stdout.write(
                f"{result.new_rows} new, {result.changed_rows} changed, {result.unchanged_rows} unchanged rows"
                + (" (dry run: nothing written)." if opts["dry_run"] else ".")
            )
        elif opts["dry_run"]:
            self.stdout.write(f"{result.rows} rows checked, no errors (dry run: nothing written).")
        else:
            self.stdout.write(f"{result.written} rows written.")
