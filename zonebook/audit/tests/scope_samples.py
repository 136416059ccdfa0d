"""Out-of-scope samples (Chongqing zone c1) for the URL-walking scope test: audit models."""

from zonebook.core.testing.scope_samples import register


@register("audit.auditentry")
def _audit(world):
    from zonebook.audit.models import AuditEntry

    return AuditEntry.objects.create(
        action="action",
        code="test.sample",
        object_type="registry.enterprise",
        object_id=str(world.enterprises.c1.pk),
        object_repr="x",
        province_code="500000",
        city_code="500100",
        zone_id=world.zones.c1.pk,
        enterprise_id=world.enterprises.c1.pk,
    )
