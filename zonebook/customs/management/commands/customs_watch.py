"""Watched folder: process the files a customs client drops into a folder.

    manage.py customs_watch --folder /srv/customs/in --user ent_xinhui [--once] [--interval 10]

Every ``.xml`` / ``.zip`` in the folder is processed like an API drop (INV101 messages first, then
the receipts, as ``--user`` with that user's scope), then moved to ``done/`` or, when it had errors,
to ``failed/`` beside a ``.json`` file naming them.  Files still being written (modified less than
two seconds ago) wait for the next round.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zonebook.customs import jobs, xmlio
from zonebook.customs.models import MessageSource

SETTLE_SECONDS = 2


class Command(BaseCommand):
    help = "Process the customs messages dropped into a folder (INV101 and receipts)."

    def add_arguments(self, parser):
        parser.add_argument("--folder", required=True)
        parser.add_argument(
            "--user", required=True, help="the account whose scope the messages are read with"
        )
        parser.add_argument("--once", action="store_true", help="one round, then stop")
        parser.add_argument("--interval", type=float, default=10.0)

    def handle(self, *args, folder, user, once, interval, **o):
        inbox = Path(folder)
        if not inbox.is_dir():
            raise CommandError(f"{inbox} is not a folder")
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"no active user {user}")
        for sub in ("done", "failed"):
            (inbox / sub).mkdir(exist_ok=True)
        while True:
            self.round(inbox, account)
            if once:
                return
            time.sleep(interval)

    def round(self, inbox: Path, account) -> None:
        now = time.time()
        for path in sorted(inbox.iterdir()):
            if not path.is_file() or path.suffix.lower() not in xmlio.XML_EXTENSIONS:
                continue
            if now - path.stat().st_mtime < SETTLE_SECONDS:
                continue
            result = jobs.process(path, path.name, account, MessageSource.FOLDER)
            failed = result["inv101"]["error_count"] or result["receipts"]["error_count"]
            target = inbox / ("failed" if failed else "done") / path.name
            path.replace(target)
            target.with_suffix(target.suffix + ".json").write_text(
                json.dumps(result, ensure_ascii=False, indent=1, default=str)
            )
            self.stdout.write(f"{path.name}: {'failed' if failed else 'done'}")
