from decimal import Decimal

from django import template

from ..tables import light_badge as _light_badge

register = template.Library()


@register.simple_tag
def light_badge(light, text=None):
    return _light_badge(light, text)


@register.filter
def plain(value):
    """A Decimal without trailing zeros ('—' for None)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value
