"""Placeholders in admin-edited document templates: ``{period}``, ``{office}``, ``{date}`` ….

Texts are filled by this module only (never ``str.format``: no attribute or index lookups, so a
template cannot reach into Python objects).  ``{{`` and ``}}`` print a literal brace.
"""

from __future__ import annotations

from string import Formatter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import DocumentError

# name -> what it is; the document provides the first group itself, modules pass the rest in
# ``Document.context``
PLACEHOLDERS = {
    "office": gettext_lazy("issuing office"),
    "title": gettext_lazy("document title"),
    "number": gettext_lazy("document number (文号)"),
    "date": gettext_lazy("document date in Chinese (二〇二六年十二月五日)"),
    "year": gettext_lazy("year of the document date"),
    "recipients": gettext_lazy("recipients (主送)"),
    "period": gettext_lazy("reporting period, e.g. 2026年11月"),
    "zone": gettext_lazy("zone name"),
    "enterprise": gettext_lazy("enterprise name"),
    "deadline": gettext_lazy("deadline"),
    "count": gettext_lazy("number of items"),
    "issue": gettext_lazy("issue number of a bulletin (期)"),
}


def parse(text: str) -> list[tuple[str, str | None]]:
    """``[(literal, name or None), …]``; raises ``ValueError`` with a readable message on bad braces."""
    out = []
    try:
        for literal, name, spec, conversion in Formatter().parse(text or ""):
            if name is not None:
                if not name or spec or conversion or not name.isidentifier():
                    raise ValueError(_("“{%(name)s}” is not a placeholder: write a name such as {period}.")
                                     % {"name": name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")})
            out.append((literal, name))
    except ValueError as exc:
        msg = str(exc)
        if "Single '}'" in msg or "Single '{'" in msg or "unmatched" in msg.lower() or "expected '}'" in msg:
            raise ValueError(_("Unbalanced braces: write {{ and }} for a literal brace, or close the placeholder.")) from None
        raise
    return out


def names(text: str) -> list[str]:
    return [n for _lit, n in parse(text) if n]


def validate(text: str) -> list[str]:
    """Error messages for ``text``: unbalanced braces, unknown placeholders (named)."""
    try:
        used = names(text)
    except ValueError as exc:
        return [str(exc)]
    unknown = sorted({n for n in used if n not in PLACEHOLDERS})
    return [
        _("Unknown placeholder {%(name)s}. Available: %(names)s.")
        % {"name": n, "names": ", ".join("{" + k + "}" for k in PLACEHOLDERS)}
        for n in unknown
    ]


def fill(text: str, values: dict, *, where: str = "") -> str:
    """``text`` with every placeholder replaced from ``values``; a placeholder with no value raises
    ``DocumentError`` naming it (and ``where``, e.g. the template and field)."""
    try:
        parts = parse(text)
    except ValueError as exc:
        raise DocumentError(f"{where}: {exc}" if where else str(exc), code="template_syntax") from None
    out = []
    for literal, name in parts:
        out.append(literal)
        if name is None:
            continue
        value = values.get(name)
        if value is None or value == "":
            raise DocumentError(
                _("The template %(where)s uses the placeholder {%(name)s}, which this document does not provide.")
                % {"where": where or "", "name": name},
                code="missing_placeholder",
                field=name,
            )
        out.append(str(value))
    return "".join(out)
