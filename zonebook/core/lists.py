"""Generic list pages: one FilterSet and one table per list serve the page, its HTMX partial and the export.

A list view only declares configuration::

    class ZoneList(FilteredListView):
        model = Zone
        filterset_class = ZoneFilterSet
        table_class = ZoneTable
        template_name = "registry/zone_list.html"
        export_filename = _("zones")
        export_code = "registry.zone.exported"

* the queryset always starts from ``model.objects.for_user(request.user)`` (scope);
* the FilterSet filters it (the API viewset uses the same FilterSet class);
* the table sorts (``?sort=``, the FilterSet accepts the same values) and paginates;
* ``?export=xlsx|csv`` exports every filtered, sorted row through the same table's columns;
* an HTMX request gets ``partial_template_name`` (the results block) from the same view.
"""

from __future__ import annotations

import django_tables2 as tables
from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import SuspiciousOperation
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_filters import OrderingFilter
from django_filters.widgets import BooleanWidget
from django_tables2 import RequestConfig

from . import exports

SORT_PARAM = "sort"
gettext_lazy_yes = _("Yes")
gettext_lazy_no = _("No")


def _cap(text) -> str:
    return capfirst(str(text))


cap = lazy(_cap, str)
cap.__doc__ = "A lazily translated label with its first letter capitalised (English labels are field names)."


def bootstrapify(form: forms.Form) -> forms.Form:
    """Bootstrap classes on a filter form's widgets (small controls for a filter bar)."""
    for field in form.fields.values():
        w = field.widget
        if isinstance(w, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(w, forms.Select | forms.SelectMultiple):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        if isinstance(w, forms.DateInput):
            w.input_type = "date"
        w.attrs["class"] = (w.attrs.get("class", "") + " " + css).strip()
    return form


class YesNoWidget(BooleanWidget):
    """Boolean filter select: blank (any), yes, no."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "---------"), ("true", gettext_lazy_yes), ("false", gettext_lazy_no)]


class YesNoColumn(tables.BooleanColumn):
    """A boolean shown as ✔/✘ on the page and exported as the translated words."""

    def value(self, value, **kwargs):
        from django.utils.translation import gettext

        if value is None:
            return ""
        return gettext("Yes") if value else gettext("No")


class BaseTable(tables.Table):
    """Common table settings: Bootstrap 5 look, ``?sort=`` as the sort parameter."""

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle"}
        # Sorting and paging links are boosted (HTMX swaps the results block); links in rows open
        # their page normally.
        row_attrs = {"hx-boost": "false"}
        order_by_field = SORT_PARAM
        template_name = "core/table.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Text cells wrap so a table fits its card (static/zonebook/zonebook.css); a date or time
        # stays on one line ("2026-12-05", not "2026-" / "12-05").
        for bound in self.columns:
            column = bound.column
            if isinstance(column, tables.DateColumn | tables.DateTimeColumn):
                attrs = dict(column.attrs or {})
                td = dict(attrs.get("td") or {})
                if "text-nowrap" not in str(td.get("class", "")):
                    td["class"] = f"{td.get('class', '')} text-nowrap".strip()
                attrs["td"] = td
                column.attrs = attrs

    def paginate(self, paginator_class=None, per_page=None, page=1, *args, **kwargs):
        # every list counts with CappedPaginator, including the pagination django-tables2 runs
        # itself when a table is built with ``request=``
        return super().paginate(paginator_class or CappedPaginator, per_page, page, *args, **kwargs)


DEFAULT_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most ``ZONEBOOK["LIST_COUNT_CAP"]`` + 1 rows (``SELECT COUNT(*) FROM (… LIMIT
    cap + 1)``): a province-wide list of 200,000 balances is not counted row by row on every page
    (≈ 140 ms at province scale, docs/performance.md "web").  Above the cap ``count`` is the cap,
    ``capped`` is True (the page says "more than 10,000 rows"), and the pages of the first 10,000
    rows can be browsed; filters narrow the rest.  Exports are never paginated."""

    capped = False

    @property
    def cap(self) -> int:
        return int(settings.ZONEBOOK.get("LIST_COUNT_CAP", DEFAULT_COUNT_CAP))

    @property
    def count(self):
        if "_capped_count" not in self.__dict__:
            self.__dict__["_capped_count"] = self._count()
        return self.__dict__["_capped_count"]

    def _count(self) -> int:
        table_data = getattr(self.object_list, "data", None)  # django-tables2 BoundRows → TableData
        if getattr(table_data, "_length", None) is not None:  # counted by an earlier paginate()
            self.capped = getattr(table_data, "_capped", False)
            return table_data._length
        qs = getattr(table_data, "data", None)
        if not isinstance(qs, QuerySet):
            qs = self.object_list if isinstance(self.object_list, QuerySet) else None
        if qs is None:
            return super().count
        n = qs.order_by()[: self.cap + 1].count()
        if n > self.cap:
            self.capped = True
            n = self.cap
        if table_data is not None:
            table_data._length = n  # len(table.rows) without a second (full) COUNT
            table_data._capped = self.capped
        return n


class FilteredListView(LoginRequiredMixin, View):
    model = None
    filterset_class = None
    table_class = None
    template_name: str = ""
    partial_template_name = "includes/list_results.html"
    paginate_by = 50
    export_filename = _("export")
    export_code: str = ""
    title = ""

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)

    def get_filterset(self):
        return self.filterset_class(
            self.request.GET or None, queryset=self.get_queryset(), request=self.request
        )

    def get_table(self, queryset):
        return self.table_class(queryset, request=self.request)

    def get_context_data(self, **kwargs):
        return {"title": self.title, "view": self, **kwargs}

    def get(self, request, *args, **kwargs):
        filterset = self.get_filterset()
        bootstrapify(filterset.form)
        # a refused filter value is a client error; an unknown sort key is left to the table (its
        # columns sort beyond the FilterSet's ordering choices)
        invalid = filterset.is_bound and any(
            name in filterset.form.errors
            for name, flt in filterset.filters.items()
            if not isinstance(flt, OrderingFilter)
        )
        queryset = filterset.qs
        fmt = request.GET.get("export")
        if fmt:
            if invalid:  # never export more rows than asked for: name the filters that were refused
                return HttpResponseBadRequest(
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.form.errors.items()),
                    content_type="text/plain; charset=utf-8",
                )
            return self.export(filterset, queryset, fmt)
        table = self.get_table(queryset)
        RequestConfig(
            request, paginate={"per_page": self.paginate_by, "paginator_class": CappedPaginator}
        ).configure(table)
        context = self.get_context_data(filterset=filterset, table=table)
        htmx = getattr(request, "htmx", False)
        template = self.partial_template_name if htmx else self.template_name
        # a refused filter value (e.g. ?book=1e40) is a client error shown on the filter bar;
        # an HTMX swap keeps 200 so the results block is still replaced
        return render(request, template, context, status=400 if invalid and not htmx else 200)

    def export(self, filterset, queryset, fmt: str):
        if fmt not in exports.FORMATS:
            raise SuspiciousOperation(f"unknown export format {fmt!r}")
        table = self.get_table(queryset)
        RequestConfig(self.request, paginate=False).configure(table)
        ordered = table.data.data  # the filtered queryset with the table's sort applied
        if self.export_code:
            from zonebook.core.events import record_event

            params = {k: v for k, v in self.request.GET.items() if k not in ("export", "page") and v}
            record_event(
                self.export_code,
                by=self.request.user,
                message=f"{fmt} {ordered.count()} rows",
                changes={"filters": params},
            )
        return exports.export_table(
            self.table_class,
            ordered,
            fmt,
            filename=str(self.export_filename),
            request=self.request,
            sheet_title=str(self.title or self.export_filename),
            filterset=filterset,
        )


NUMERIC_ATTRS = {"td": {"class": "text-end font-monospace text-nowrap"}, "th": {"class": "text-end"}}


class MoneyColumn(tables.Column):
    """An amount with thousands separators, two decimals and its currency (``3,150.00 USD``);
    ``currency`` is an accessor on the record (``"book.currency"``) or, quoted with ``=``, a
    fixed code (``"=CNY"``).  Exports keep the bare number."""

    def __init__(self, *args, currency: str = "", **kwargs):
        kwargs.setdefault("attrs", NUMERIC_ATTRS)
        super().__init__(*args, **kwargs)
        self.currency = currency

    def currency_of(self, record) -> str:
        if self.currency.startswith("="):
            return self.currency[1:]
        value = record
        for bit in self.currency.replace("__", ".").split(".") if self.currency else ():
            value = value.get(bit) if isinstance(value, dict) else getattr(value, bit, None)
            if value is None:
                return ""
        return value if isinstance(value, str) else ""

    def render(self, value, record):
        from zonebook.core.formatting import money

        return money(value, self.currency_of(record))

    def value(self, value):
        return value


class QuantityColumn(tables.Column):
    """A quantity with thousands separators and the decimals it needs (``1,234.5``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMERIC_ATTRS)
        super().__init__(*args, **kwargs)

    def render(self, value):
        from zonebook.core.formatting import quantity

        return quantity(value)

    def value(self, value):
        return value
