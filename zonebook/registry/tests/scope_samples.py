"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: registry models."""

from zonebook.core.testing.scope_samples import register


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

    return EnterpriseStatusEvent.objects.create(
        enterprise=world.enterprises.c1, status="operating", date="2020-01-01"
    )
