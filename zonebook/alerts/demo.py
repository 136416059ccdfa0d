"""The alerts' demo loader (declared in registration.py, run by ``load_demo`` after the ledger's):
``load_alerts_demo`` (domestic-sale lists, a deviating consumption version, then the registers'
refresh and the notifications)."""

from __future__ import annotations


def load(stdout) -> None:
    from django.core.management import call_command

    call_command("load_alerts_demo", stdout=stdout)


def present() -> bool:
    """The alerts demo ends with the registers' refresh: deadline alerts and plausibility flags."""
    from .models import Alert, PlausibilityFlag

    return Alert.objects.exists() and PlausibilityFlag.objects.exists()
