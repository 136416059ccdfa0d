"""Form widgets shared by the apps.

``PickerSelect``: a ``<select>`` for a model choice over a possibly large scoped queryset (the
enterprises of a province: 2,000 at province scale).  Up to ``ZONEBOOK["PICKER_THRESHOLD"]``
choices it is an ordinary select.  Above, it renders only the empty choice and the selected
object(s) — one indexed query instead of building 2,000 model instances and options per page
(≈ 60–170 ms of a list page's Python at province scale, docs/performance.md "web") — and a search
box beside it; ``static/zonebook/zonebook.js`` fills the select with the matches from
``search_url`` (``?term=…``), which returns ``<option>`` elements of the user's own scope.
Validation is unchanged: the form field still checks the value against the full scoped queryset.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

DEFAULT_THRESHOLD = 200


def picker_threshold() -> int:
    return int(settings.ZONEBOOK.get("PICKER_THRESHOLD", DEFAULT_THRESHOLD))


class PickerSelect(forms.Select):
    def __init__(self, search_url, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url
        self._large: bool | None = None

    def __deepcopy__(self, memo):
        obj = super().__deepcopy__(memo)
        obj._large = None
        return obj

    def _queryset(self):
        return getattr(self.choices, "queryset", None)

    def is_large(self) -> bool:
        if self._large is None:
            qs = self._queryset()
            limit = picker_threshold()
            self._large = (
                qs is not None and len(qs.order_by().values_list("pk", flat=True)[: limit + 1]) > limit
            )
        return self._large

    def optgroups(self, name, value, attrs=None):
        if not self.is_large():
            return super().optgroups(name, value, attrs)
        field = self.choices.field
        wanted = [int(v) for v in value if str(v).isdigit()]
        options = [self.create_option(name, "", field.empty_label or "---------", not wanted, 0)]
        for i, obj in enumerate(self._queryset().filter(pk__in=wanted), start=1):
            options.append(self.create_option(name, obj.pk, field.label_from_instance(obj), True, i))
        return [(None, options, 0)]

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if not self.is_large():
            return html
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        search = format_html(
            '<input type="search" class="form-control form-control-sm mt-1 js-picker-q" form="zb-none" '
            'data-picker-for="{}" data-picker-url="{}" placeholder="{}" aria-label="{}" autocomplete="off">',
            select_id,
            str(self.search_url),
            _("Type to search…"),
            _("Search the choices"),
        )
        return mark_safe(f"{html}{search}")
