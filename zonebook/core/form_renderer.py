"""Form renderer that writes ``<select>`` widgets in Python.

Django renders each ``<option>`` of a select through two template includes
(``select_option.html`` and ``attrs.html``).  A filter form with the enterprises of a province
(2,000 at province scale) spent more time on its options than the page spent on its SQL
(docs/performance.md, "web").  ``render_select`` produces the same markup with the same escaping
as Django's templates; any other widget, or a select whose options use a custom template, is
rendered by the standard ``DjangoTemplates`` renderer.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False is omitted, True is a bare attribute.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_select(widget: dict) -> str:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        for option in options:
            out.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(localize(option['label']))}</option>"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return mark_safe("".join(out))  # every part is escaped above


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            widget = context.get("widget") or {}
            groups = widget.get("optgroups")
            if groups is not None and all(
                o.get("template_name") == OPTION for _, opts, _ in groups for o in opts
            ):
                return render_select(widget)
        return super().render(template_name, context, request)
