import pytest
from zonebook.core.tests.test_export_walk import poisoned, read_csv, read_xlsx, _body  # noqa
@pytest.mark.django_db
def test_x(poisoned, client):
    client.force_login(poisoned.world.users.admin)
    for fmt in ("csv", "xlsx", "csv"):
        r = client.get("/alerts/", {"export": fmt})
        b = _body(r)
        rows = read_csv(b) if fmt == "csv" else read_xlsx(b)
        print(fmt, len(rows), rows[-1])
    from zonebook.alerts.models import Alert
    print(list(Alert.objects.values_list("state", "kind")))
