from django import template

register = template.Library()


@register.filter
def can_write(user, area: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can_write(area))


@register.filter
def object_type(obj) -> str:
    return obj._meta.label_lower
