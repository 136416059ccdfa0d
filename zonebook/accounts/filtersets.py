"""One FilterSet per list, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import UnitKind
from .models import Unit


def _zones(request):
    from zonebook.registry.models import Zone

    return Zone.objects.for_user(getattr(request, "user", None))


def _units(request):
    return Unit.objects.for_user(getattr(request, "user", None))


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=UnitKind.choices)
    zone = django_filters.ModelChoiceFilter(label=_("Zone"), queryset=lambda request: _zones(request))
    parent = django_filters.ModelChoiceFilter(
        label=_("Parent unit"), queryset=lambda request: _units(request)
    )
    inactive = django_filters.BooleanFilter(
        label=_("Include inactive and expired units"), method="filter_inactive"
    )

    class Meta:
        model = Unit
        fields = ["q", "kind", "zone", "parent", "inactive"]

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value)) if value else qs

    def filter_inactive(self, qs, name, value):
        return qs

    @property
    def qs(self):
        qs = super().qs
        if not self.form.cleaned_data.get("inactive"):
            qs = qs.current()
        return qs
