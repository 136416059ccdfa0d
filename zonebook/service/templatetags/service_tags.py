from django import template
from django.utils.translation import gettext_lazy as _

from zonebook.notify import lights

from ..tables import person as _person

register = template.Library()

ACTION_LABELS = {
    "dispatch": _("Dispatch"),
    "answer": _("Answer directly"),
    "sign": _("Sign off"),
    "return": _("Return to the office"),
    "reply": _("Stage reply"),
    "extension": _("Ask for an extension"),
    "decide": _("Decide on the extension"),
    "result": _("Submit the result"),
    "review": _("Review the result"),
    "revisit": _("Revisit"),
    "close": _("Close without revisit"),
    "remind": _("Send a reminder"),
    "supervise": _("Supervise"),
    "note": _("Internal note"),
}


@register.filter
def person(user):
    return _person(user)


@register.filter
def action_label(code):
    return ACTION_LABELS.get(code, code)


@register.simple_tag
def light_badge(code):
    return lights.light_badge(code) if code else ""
