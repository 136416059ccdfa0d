"""One FilterSet per list, for the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import EntityResult, EvaluationRun, Scheme


class RunFilterSet(django_filters.FilterSet):
    scheme = django_filters.ModelChoiceFilter(label=_("Scheme"), field_name="version__scheme",
                                              queryset=Scheme.objects.order_by("code"))
    exercise_year = django_filters.NumberFilter(label=_("Exercise year"), min_value=1900, max_value=2100)
    data_year = django_filters.NumberFilter(label=_("Data year"), min_value=1900, max_value=2100)

    class Meta:
        model = EvaluationRun
        fields = ["scheme", "exercise_year", "data_year"]


class ResultFilterSet(django_filters.FilterSet):
    run = django_filters.CharFilter(label=_("Run"), field_name="run__code")
    group = django_filters.CharFilter(label=_("Peer group"))
    grade = django_filters.CharFilter(label=_("Grade"))
    entity = django_filters.CharFilter(label=_("Entity"), field_name="entity__code")

    class Meta:
        model = EntityResult
        fields = ["run", "group", "grade", "entity"]
