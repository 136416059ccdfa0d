"""List tables (page and export)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable

from .models import EvaluationRun


class RunTable(BaseTable):
    name = tables.Column(verbose_name=_("Run"), linkify=lambda record: record.get_absolute_url())
    scheme = tables.Column(verbose_name=_("Scheme version"), accessor="version", order_by=("version__scheme__code",))
    exercise_year = tables.Column(verbose_name=_("Exercise year"))
    data_year = tables.Column(verbose_name=_("Data year"))
    n_entities = tables.Column(verbose_name=_("Entities"), attrs={"td": {"class": "text-end"}})
    created_at = tables.DateTimeColumn(verbose_name=_("Created at"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = EvaluationRun
        fields = ("name", "scheme", "exercise_year", "data_year", "n_entities", "created_at")
