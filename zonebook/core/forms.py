from django import forms
from django.core.exceptions import ValidationError

from .errors import DomainError


def style_fields(form) -> None:
    """Bootstrap classes on every widget of ``form`` and ``is-invalid`` on the fields with errors, so
    errors show inline next to what was typed.  Forms that set their querysets or choices after
    ``__init__`` (the accounts forms) call it once those are in place."""
    for name, field in form.fields.items():
        w = field.widget
        if isinstance(w, forms.CheckboxSelectMultiple):
            continue  # a list of check boxes styles itself
        if isinstance(w, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(w, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        w.attrs["class"] = (w.attrs.get("class", "") + " " + css).strip()
        if isinstance(w, forms.DateInput):
            w.input_type = "date"


class BootstrapFormMixin:
    """Adds Bootstrap classes and marks invalid fields (``style_fields``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class BootstrapForm(BootstrapFormMixin, forms.Form):
    pass


class BootstrapModelForm(BootstrapFormMixin, forms.ModelForm):
    pass


def apply_service_error(form: forms.BaseForm, exc: Exception) -> None:
    """Map a service ``ValidationError``/``DomainError`` onto the form (field errors where possible)."""
    if isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, str(exc.message))
        return
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                for e in errors:
                    form.add_error(target, e)
        else:
            form.add_error(None, exc)
        return
    raise exc
