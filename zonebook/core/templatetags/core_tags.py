from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (keeps filters on paging/sorting/export)."""
    query = context["request"].GET.copy()
    for k, v in kwargs.items():
        if v is None or v == "":
            query.pop(k, None)
        else:
            query[k] = v
    return query.urlencode()


@register.simple_tag(takes_context=True)
def render_panels(context, page, obj=None):
    """Panels other apps registered for ``page`` (see ``core.panels``); '' when none."""
    from zonebook.core import panels

    request = context.get("request")
    if request is None:
        return ""
    return panels.render(page, request, obj)


@register.simple_tag(takes_context=True)
def table_body(context, table):
    """The ``<tr>`` rows of a django-tables2 table (``core/table.html``)."""
    from zonebook.core.table_render import render_body

    return render_body(context, table)


@register.filter
def qty(value) -> str:
    """A quantity with thousands separators and the decimals it needs (``core.formatting``)."""
    from zonebook.core.formatting import quantity

    return quantity(value)


@register.filter
def money(value, currency="") -> str:
    """An amount with thousands separators, two decimals and its currency: ``3,150.00 USD``."""
    from zonebook.core.formatting import money as fmt

    return fmt(value, currency or "")


@register.filter
def num(value, places=None) -> str:
    """A number with thousands separators (``places`` fixes the decimals)."""
    from zonebook.core.formatting import number

    return number(value, None if places in (None, "") else int(places))


@register.filter
def wan(value, currency="CNY") -> str:
    """An amount in 元 / 万元 / 亿元 as an official expects it (``core.formatting.wan_yuan``)."""
    from zonebook.core.formatting import wan_yuan

    return wan_yuan(value, currency or "CNY")
