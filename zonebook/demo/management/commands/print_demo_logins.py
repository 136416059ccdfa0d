"""``manage.py print_demo_logins [--url URL]``: the demo users, their passwords, roles and scopes as a
table, and the address to open (``bin/start`` passes the one it serves, e.g. with ``PORT=8100``)."""

import os

from django.core.management.base import BaseCommand

from zonebook.accounts.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo logins (user name, password, role, scope)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default=None,
            help="the address Zonebook is served at (default: http://127.0.0.1:$PORT/, PORT 8000 if unset)",
        )

    def handle(self, *args, url=None, **options):
        from zonebook.accounts.models import User

        users = User.objects.in_bulk([u[0] for u in DEMO_USERS], field_name="username")
        rows = [("user name", "password", "role", "scope", "status")]
        for username, password, role, scope, key, _manage, _name in DEMO_USERS:
            user = users.get(username)
            if user is None:
                status = "missing"
            elif not user.is_active:
                status = "inactive"
            elif not user.check_password(password):
                status = "password changed"
            else:
                status = "ok"
            label = role if user is None else user.get_role_display()
            rows.append((username, password, str(label), f"{scope} {key}".strip(), status))
        widths = [max(_width(r[i]) for r in rows) for i in range(5)]
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        url = url or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/"
        self.stdout.write(f"Open {url} and log in with one of these.")


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))
