"""``{% audit_history entries %}``: an object's history tab, in the reader's language, masked for the reader."""

from django import template

from ..display import AuditDisplay

register = template.Library()


@register.inclusion_tag("audit/_table.html", takes_context=True)
def audit_history(context, entries):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"rows": AuditDisplay(entries, user).rows()}
