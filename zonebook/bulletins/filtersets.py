"""One FilterSet for the bulletin list page, its export and the API."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import cap

from .models import Bulletin, Frequency

LEVELS = (("province", _("province")), ("city", _("city")), ("zone", _("zone")))
STATES = (("published", _("published")), ("unpublished", _("not published")))


class YearFilter(filters.NumberFilter):
    """A whole year within 1900–2100 (anything else is a form error, not a server error)."""

    field_class = forms.IntegerField


class BulletinFilterSet(filters.FilterSet):
    level = filters.ChoiceFilter(label=cap(_("scope level")), field_name="entity__level", choices=LEVELS)
    frequency = filters.ChoiceFilter(label=cap(_("frequency")), choices=Frequency.choices)
    year = YearFilter(label=cap(_("year")), field_name="period__year", min_value=1900, max_value=2100)
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
