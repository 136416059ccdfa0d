"""The attachment FilterSet (API list; the per-record panel shows one record's files)."""

from __future__ import annotations

import django_filters as filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from . import attachable
from .models import Attachment
from .sniffing import KINDS


class AttachmentFilterSet(filters.FilterSet):
    target = filters.CharFilter(
        label=_("record"), method="filter_target", help_text="``app_label.model.id``, e.g. ``registry.enterprise.12``"
    )
    kind = filters.ChoiceFilter(label=_("file type"), choices=[(k.key, k.label) for k in KINDS.values()])
    name = filters.CharFilter(label=_("file name"), field_name="original_name", lookup_expr="icontains")

    class Meta:
        model = Attachment
        fields = ["target", "kind", "name"]

    def filter_target(self, qs, name, value):
        label, _sep, pk = value.rpartition(".")
        entry = attachable.get(label)
        if entry is None or not pk.isdigit() or len(pk) > 18:
            return qs.none()
        return qs.filter(content_type=ContentType.objects.get_for_model(entry.model), object_id=int(pk))
