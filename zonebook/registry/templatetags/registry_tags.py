from django import template

register = template.Library()


@register.filter
def can_write(user, area: str) -> bool:
    from zonebook.core.permissions import may_write

    return may_write(user, area)


@register.filter
def object_type(obj) -> str:
    return obj._meta.label_lower


@register.filter
def region(code) -> str:
    """A region code as its name: ``510100`` → 成都市 (``registry.names``)."""
    from zonebook.registry.names import region_name

    return region_name(code)


@register.filter
def unit(code) -> str:
    """A customs unit code as its name: ``007`` → 个 (``registry.names``)."""
    from zonebook.registry.names import unit_name

    return unit_name(code)


@register.filter
def wan_currency(amount, currency="CNY") -> str:
    """An amount in 元/万元/亿元 with its currency named: ``1,204.30 万美元`` (``core.formatting.wan_yuan``)."""
    from zonebook.core.formatting import wan_yuan
    from zonebook.registry.names import code_name

    currency = (currency or "CNY").upper()
    return wan_yuan(amount, currency, code_name("currency", currency, fallback=False))


@register.filter
def customs_office(code) -> str:
    """A customs office code with its name: ``7908`` → 成都高新综合保税区海关（7908）."""
    from zonebook.registry.names import code_name

    name = code_name("customs_office", code, fallback=False)
    return f"{name}（{code}）" if name else (code or "—")
