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
