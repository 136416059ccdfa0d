"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: units, memberships, tokens."""

from zonebook.core.testing.scope_samples import register


def _c1_unit(world):
    from zonebook.accounts.models import Unit

    unit, _ = Unit.objects.get_or_create(
        name="重庆西永综合保税区管委会",
        defaults={
            "kind": "zone_office",
            "scope_level": "zone",
            "province_code": world.zones.c1.province_code,
            "city_code": world.zones.c1.city_code,
            "zone": world.zones.c1,
        },
    )
    return unit


@register("accounts.unit")
def _unit(world):
    return _c1_unit(world)


@register("accounts.unitmembership")
def _membership(world):
    from zonebook.accounts.models import UnitMembership

    return UnitMembership.objects.get_or_create(unit=_c1_unit(world), user=world.users.other_enterprise)[0]


@register("accounts.machinetoken")
def _token(world):
    from zonebook.accounts import tokens
    from zonebook.accounts.models import MachineToken

    token = MachineToken.objects.filter(zone=world.zones.c1).first()
    return (
        token
        or tokens.issue_token(name="重庆卡口", zone=world.zones.c1, areas=["ops"], by=world.users.admin)[0]
    )


@register("accounts.user")
def _user(world):
    return world.users.other_enterprise


@register("accounts.loginevent")
def _login_event(world):
    from zonebook.accounts.models import LoginEvent

    return LoginEvent.objects.create(user=world.users.other_enterprise, username="e_c1", kind="success")
