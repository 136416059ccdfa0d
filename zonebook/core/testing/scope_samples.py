"""Out-of-scope sample objects for the URL-walking scope test.

Each scoped model reachable by id in a URL registers a function that, given the ``world`` fixture,
returns an instance that the Sichuan users cannot see (it lives in Chongqing, zone c1).  A model
without a sample makes the walking test fail, so new routes are covered automatically.
"""

from __future__ import annotations

from collections.abc import Callable

SAMPLES: dict[str, Callable] = {}


def register(label: str):
    def deco(fn):
        SAMPLES[label.lower()] = fn
        return fn

    return deco


@register("registry.zone")
def _zone(world):
    return world.zones.c1


@register("registry.enterprise")
def _enterprise(world):
    return world.enterprises.c1


@register("registry.park")
def _park(world):
    from zonebook.registry.models import Park

    return Park.objects.get_or_create(zone=world.zones.c1, name="重庆园区")[0]


@register("registry.zonestatusevent")
def _zone_event(world):
    from zonebook.registry.models import ZoneStatusEvent

    return ZoneStatusEvent.objects.create(zone=world.zones.c1, event="accepted", date="2020-01-01")


@register("registry.enterprisecontact")
def _contact(world):
    from zonebook.registry.models import EnterpriseContact

    return EnterpriseContact.objects.create(enterprise=world.enterprises.c1, name="张三", phone="13800001234")


@register("registry.enterprisestatusevent")
def _ent_event(world):
    from zonebook.registry.models import EnterpriseStatusEvent

    return EnterpriseStatusEvent.objects.create(enterprise=world.enterprises.c1, status="operating", date="2020-01-01")


@register("accounts.user")
def _user(world):
    return world.users.other_enterprise


@register("accounts.loginevent")
def _login_event(world):
    from zonebook.accounts.models import LoginEvent

    return LoginEvent.objects.create(user=world.users.other_enterprise, username="e_c1", kind="success")


@register("audit.auditentry")
def _audit(world):
    from zonebook.audit.models import AuditEntry

    return AuditEntry.objects.create(action="action", code="test.sample", object_type="registry.enterprise",
                                     object_id=str(world.enterprises.c1.pk), object_repr="x",
                                     province_code="500000", city_code="500100", zone_id=world.zones.c1.pk,
                                     enterprise_id=world.enterprises.c1.pk)


@register("jobs.job")
def _job(world):
    from zonebook.jobs.models import Job

    return Job.objects.create(kind="test", label="sample", created_by=world.users.other_enterprise)


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
