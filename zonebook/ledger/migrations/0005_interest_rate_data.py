import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "interest_rates.json"


def load(apps, schema_editor):
    """Default 缓税利息 rates (domain doc §8.3); idempotent: rows already there are kept as edited."""
    InterestRate = apps.get_model("ledger", "InterestRate")
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        InterestRate.objects.get_or_create(
            basis=row["basis"],
            valid_from=dt.date.fromisoformat(row["valid_from"]),
            defaults={
                "rate": Decimal(row["rate"]),
                "valid_to": dt.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                "source": row["source"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_duty_rates")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
