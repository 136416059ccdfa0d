"""``{% load charts %}{% chart spec %}``: an ECharts chart in a page under the strict CSP.

``spec`` is a ``content.Chart`` (built with ``zonebook.documents.charts.chart``) or a dict with the
same keys: the same spec a document draws as a PNG.  The tag emits a ``<div>``, the data in a
``json_script`` element and, once per page, the vendored ECharts plus the one static initialiser
``zonebook/charts.js``; no inline script.  Every label and tooltip is text (the initialiser escapes
what ECharts would show as HTML).  ``height`` is CSS (default ``320px``)::

    {% chart spec height="260px" %}
"""

from __future__ import annotations

import re
import uuid

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script

from ..charts import page_spec

register = template.Library()
_HEIGHT = re.compile(r"^\d{2,4}(px|rem|em|vh)$")
_FLAG = "_zonebook_chart_scripts"


def _scripts_once(context) -> str:
    request = context.get("request")
    holder = request if request is not None else context.render_context
    if request is not None:
        if getattr(request, _FLAG, False):
            return ""
        setattr(request, _FLAG, True)
    else:
        if holder.get(_FLAG):
            return ""
        holder[_FLAG] = True
    return format_html(
        '<script src="{}" defer></script><script src="{}" defer></script>',
        static("vendor/echarts/echarts.min.js"),
        static("zonebook/charts.js"),
    )


@register.simple_tag(takes_context=True)
def chart(context, spec, height: str = "320px"):
    data = page_spec(spec)
    element_id = f"zb-chart-{uuid.uuid4().hex[:10]}"
    if not _HEIGHT.match(str(height)):
        height = "320px"
    return format_html(
        '<div class="zb-chart" data-chart="{}" role="img" aria-label="{}" style="width:100%;height:{}"></div>{}{}',
        element_id,
        data["title"],
        height,
        json_script(data, element_id),
        _scripts_once(context),
    )


@register.simple_tag(takes_context=True)
def chart_scripts(context):
    """The chart scripts, for a page that loads charts later through HTMX (emitted once per page)."""
    return _scripts_once(context)
