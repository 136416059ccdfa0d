"""One FilterSet for the bulletin list page, its export and the API."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from .models import Bulletin, Frequency

LEVELS = (("province", _("province")), ("city", _("city")), ("zone", _("zone")))
STATES = (("published", _("published")), ("unpublished", _("not published")))


class BulletinFilterSet(filters.FilterSet):
    level = filters.ChoiceFilter(label=cap(_("scope level")), field_name="entity__level", choices=LEVELS)
    frequency = filters.ChoiceFilter(label=cap(_("frequency")), choices=Frequency.choices)
    year = filters.NumberFilter(label=cap(_("year")), field_name="period__year")
    state = filters.ChoiceFilter(label=cap(_("publication")), choices=STATES, method="filter_state")
    q = filters.CharFilter(label=cap(_("title contains")), field_name="title", lookup_expr="icontains")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("period", "period"), ("entity__name", "scope"), ("published_at", "published_at"), ("title", "title")),
    )

    class Meta:
        model = Bulletin
        fields = ["level", "frequency", "year", "state", "q"]

    def filter_state(self, qs, name, value):
        if value == "published":
            return qs.filter(published_version__isnull=False)
        if value == "unpublished":
            return qs.filter(published_version__isnull=True)
        return qs
