"""Registry services: every write records an audit entry with before/after; permissions and scope."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from zonebook.audit.models import AuditEntry
from zonebook.registry import services
from zonebook.registry.models import Enterprise, EnterpriseContact, Zone
from zonebook.registry.testing import code


def entries(code_):
    return list(AuditEntry.objects.filter(code=code_))


def test_create_zone_records_audit(world):
    kind = code("zone_type", "FTZ", "综合保税区")
    zone = services.create_zone(
        {
            "name": "成都新综合保税区",
            "short_name": "新综保区",
            "kind": kind,
            "province_code": "510000",
            "city_code": "510100",
        },
        by=world.users.city,
    )
    [e] = entries("registry.zone.created")
    assert e.object_id == str(zone.pk)
    assert e.actor == world.users.city
    assert e.changes["name"] == [None, "成都新综合保税区"]
    assert e.city_code == "510100" and e.zone_id == zone.pk


def test_create_zone_outside_region_is_invalid(world):
    kind = code("zone_type", "FTZ", "综合保税区")
    with pytest.raises(ValidationError, match="city_code"):
        services.create_zone(
            {"name": "X", "short_name": "X", "kind": kind, "province_code": "500000", "city_code": "500100"},
            by=world.users.city,
        )
    assert not Zone.objects.filter(name="X").exists()
    assert not AuditEntry.objects.exists()


def test_zone_user_cannot_move_zone_to_another_city(world):
    with pytest.raises(ValidationError) as exc:
        services.update_zone(world.zones.a1, {"city_code": "510700"}, by=world.users.zone)
    assert "city_code" in exc.value.message_dict
    world.zones.a1.refresh_from_db()
    assert world.zones.a1.city_code == "510100"


def test_update_zone_records_before_after(world):
    zone = world.zones.a1
    changes = services.update_zone(zone, {"short_name": "高新综保区"}, by=world.users.zone)
    assert changes == {"short_name": ["成都高新综保区", "高新综保区"]}
    [e] = entries("registry.zone.updated")
    assert e.changes == {"short_name": ["成都高新综保区", "高新综保区"]}
    zone.refresh_from_db()
    assert zone.short_name == "高新综保区"


def test_update_zone_out_of_scope_is_404(world):
    with pytest.raises(Http404):
        services.update_zone(world.zones.c1, {"short_name": "x"}, by=world.users.zone)
    assert not AuditEntry.objects.exists()


def test_customs_liaison_cannot_write(world):
    with pytest.raises(PermissionDenied):
        services.update_zone(world.zones.a1, {"short_name": "x"}, by=world.users.customs)
    world.zones.a1.refresh_from_db()
    assert world.zones.a1.short_name == "成都高新综保区"
    assert not AuditEntry.objects.exists()


def test_add_zone_status_event_moves_status(world):
    zone = world.zones.a1
    ev = services.add_zone_status_event(
        zone, event="accepted", date=dt.date(2024, 5, 1), doc_no="署2024-1", by=world.users.zone
    )
    zone.refresh_from_db()
    assert (zone.status, zone.status_date) == ("accepted", dt.date(2024, 5, 1))
    [created] = entries("registry.zone_status_event.created")
    assert created.object_id == str(ev.pk) and created.changes["event"] == [None, "accepted"]
    [changed] = entries("registry.zone.status_changed")
    assert changed.changes["status"] == ["operating", "accepted"]
    assert changed.changes["status_date"] == [None, "2024-05-01"]


def test_back_dated_event_keeps_current_status(world):
    zone = world.zones.a1
    services.add_zone_status_event(zone, event="operating", date=dt.date(2024, 6, 1), by=world.users.zone)
    services.add_zone_status_event(zone, event="approved", date=dt.date(2020, 1, 1), by=world.users.zone)
    zone.refresh_from_db()
    assert (zone.status, zone.status_date) == ("operating", dt.date(2024, 6, 1))
    assert zone.status_events.count() == 2


def test_non_status_event_does_not_change_status(world):
    zone = world.zones.a1
    services.add_zone_status_event(zone, event="area_changed", date=dt.date(2024, 6, 1), by=world.users.zone)
    zone.refresh_from_db()
    assert zone.status == "operating" and zone.status_date is None


def test_integration_needs_successor_and_links_it(world):
    zone, successor = world.zones.a1, world.zones.a2
    with pytest.raises(ValidationError) as exc:
        services.add_zone_status_event(
            zone, event="integrated", date=dt.date(2024, 1, 1), by=world.users.city
        )
    assert "successor" in exc.value.message_dict
    assert not AuditEntry.objects.exists()
    services.add_zone_status_event(
        zone, event="integrated", date=dt.date(2024, 1, 1), successor=successor, by=world.users.city
    )
    zone.refresh_from_db()
    assert zone.status == "integrated" and zone.integrated_into == successor
    [changed] = entries("registry.zone.status_changed")
    assert changed.changes["integrated_into"] == [None, successor.pk]


def test_integration_successor_must_be_in_scope(world):
    with pytest.raises(ValidationError):
        services.add_zone_status_event(
            world.zones.a1,
            event="integrated",
            date=dt.date(2024, 1, 1),
            successor=world.zones.c1,
            by=world.users.city,
        )


def test_create_and_update_park(world):
    park = services.create_park(world.zones.a1, {"name": "南区", "bonded": True}, by=world.users.zone)
    [e] = entries("registry.park.created")
    assert e.object_id == str(park.pk) and e.zone_id == world.zones.a1.pk
    services.update_park(park, {"address": "南三路1号"}, by=world.users.zone)
    [u] = entries("registry.park.updated")
    assert u.changes == {"address": ["", "南三路1号"]}


def test_create_enterprise_normalises_full_width_uscc(world):
    from zonebook.registry.testing import next_uscc

    uscc = next_uscc()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    ent = services.create_enterprise(
        {"name": "新企业", "uscc": full_width, "zone": world.zones.a1}, by=world.users.zone
    )
    assert ent.uscc == uscc and ent.status == "preparing"
    [e] = entries("registry.enterprise.created")
    assert e.changes["uscc"] == [None, uscc]
    assert e.enterprise_id == ent.pk


def test_create_enterprise_in_zone_out_of_scope_is_invalid(world):
    from zonebook.registry.testing import next_uscc

    with pytest.raises(ValidationError) as exc:
        services.create_enterprise(
            {"name": "x", "uscc": next_uscc(), "zone": world.zones.c1}, by=world.users.zone
        )
    assert "zone" in exc.value.message_dict
    assert not Enterprise.objects.filter(name="x").exists()


def test_update_enterprise_records_changes(world):
    ent = world.enterprises.a1
    services.update_enterprise(ent, {"address": "天府大道1号", "fortune500": True}, by=world.users.zone)
    [e] = entries("registry.enterprise.updated")
    assert e.changes == {"address": ["", "天府大道1号"], "fortune500": [False, True]}


def test_update_enterprise_bad_uscc_writes_nothing(world):
    ent = world.enterprises.a1
    with pytest.raises(ValidationError) as exc:
        services.update_enterprise(ent, {"uscc": "91510100MA6CXXXX0X"}, by=world.users.zone)
    assert "uscc" in exc.value.message_dict
    assert not AuditEntry.objects.exists()


def test_change_enterprise_status(world):
    ent = world.enterprises.a1
    services.change_enterprise_status(
        ent, status="suspended", date=dt.date(2025, 3, 1), note="停产整顿", by=world.users.zone
    )
    ent.refresh_from_db()
    assert (ent.status, ent.status_date) == ("suspended", dt.date(2025, 3, 1))
    [ev] = entries("registry.enterprise_status_event.created")
    assert ev.changes["status"] == [None, "suspended"]
    [ch] = entries("registry.enterprise.status_changed")
    assert ch.changes["status"] == ["operating", "suspended"]


def test_contacts_add_update_delete(world):
    ent = world.enterprises.a1
    c = services.add_contact(ent, {"name": "张三", "phone": "13812345678"}, by=world.users.zone)
    [a] = entries("registry.contact.created")
    assert a.changes["phone"] == [None, "13812345678"] and a.enterprise_id == ent.pk
    services.update_contact(c, {"position": "关务经理"}, by=world.users.zone)
    [u] = entries("registry.contact.updated")
    assert u.changes == {"position": ["", "关务经理"]}
    services.delete_contact(c, by=world.users.zone)
    [d] = entries("registry.contact.deleted")
    assert d.changes["name"] == ["张三", None]
    assert not EnterpriseContact.objects.exists()


def test_contact_of_other_zone_is_404(world):
    c = EnterpriseContact.objects.create(enterprise=world.enterprises.c1, name="李四")
    with pytest.raises(Http404):
        services.delete_contact(c, by=world.users.zone)
    assert EnterpriseContact.objects.filter(pk=c.pk).exists()


def test_unknown_fields_are_rejected(world):
    with pytest.raises(ValidationError) as exc:
        services.update_zone(world.zones.a1, {"status": "exited"}, by=world.users.zone)
    assert "status" in exc.value.message_dict
