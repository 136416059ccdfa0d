from decimal import Decimal

import pytest

from zonebook.accounts.testing import user_for


@pytest.fixture
def ops(world):
    """The world plus an enterprise user of e_a1 granted ``ops`` (files applications)."""
    ent = world.users.enterprise
    ent.granted_areas = ["ops"]
    ent.save(update_fields=["granted_areas"])
    world.users.ent_b1 = user_for("enterprise", world.enterprises.b1, username="e_b1_ops", granted_areas=["ops"])
    return world


def attach(app, user, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zonebook.attachments import services as att

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return att.attach(app, SimpleUploadedFile(f"{name}.pdf", pdf, content_type="application/pdf"), by=user,
                      description=name)


def vehicle(zone, by, plate="川A12345", tare="15000", frame="7000"):
    from zonebook.operations import gate

    return gate.add_vehicle(zone=zone, plate=plate, tare_weight=Decimal(tare), frame_weight=Decimal(frame),
                            owner="成都运输公司", by=by)
