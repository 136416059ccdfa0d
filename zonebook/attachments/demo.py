"""The attachments' demo loader (declared in registration.py): ``load_attachments_demo``."""

from __future__ import annotations


def load(stdout) -> None:
    from django.core.management import call_command

    call_command("load_attachments_demo", stdout=stdout)
