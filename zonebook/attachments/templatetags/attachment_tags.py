"""``{% attachments obj %}``: the attachment panel (list, upload, delete) of any registered record."""

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def attachments(context, obj):
    from ..views import panel_context

    request = context["request"]
    return render_to_string("attachments/_panel.html", panel_context(request, obj), request=request)
