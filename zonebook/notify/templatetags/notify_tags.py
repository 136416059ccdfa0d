from django import template

from .. import lights

register = template.Library()


@register.simple_tag
def light_badge(light, text=None):
    """``{% light_badge code [text] %}``: the badge of a traffic light (``notify.lights``)."""
    return lights.light_badge(light or "", text)
