from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from zonebook.core.imports import updates
from zonebook.core.imports.readers import ALLOWED_EXTENSIONS, extension


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx, .xls or .csv file (UTF-8 or GB18030) whose first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.csv"}),
    )

    mode = forms.ChoiceField(
        label=_("Existing records"),
        choices=list(updates.MODES.items()),
        initial=updates.CREATE,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind is not None and kind.extensions:
            self.fields["file"].widget.attrs["accept"] = ",".join(kind.extensions)
            self.fields["file"].help_text = _("A file of the types %(types)s.") % {
                "types": ", ".join(kind.extensions)
            }
        if kind is None or not kind.update_mode:
            del self.fields["mode"]  # the kind only creates
        else:
            keys = "、".join(str(kind.model._meta.get_field(k).verbose_name) for k in kind.key_fields)
            self.fields["mode"].help_text = _(
                "In update mode a row whose %(key)s exists changes that record (only the cells that differ; "
                "a blank cell keeps the stored value); nothing is deleted."
            ) % {"key": keys}

    def clean_mode(self):
        return self.cleaned_data.get("mode") or updates.CREATE

    def clean_file(self):
        f = self.cleaned_data["file"]
        ext = extension(f.name)
        allowed = self.kind.allowed_extensions() if self.kind is not None else tuple(ALLOWED_EXTENSIONS)
        if ext not in allowed:
            if set(allowed) == set(ALLOWED_EXTENSIONS):
                raise forms.ValidationError(
                    _("Unsupported file type “%(ext)s”; upload an .xlsx, .xls or .csv file."),
                    params={"ext": ext or "?"},
                )
            raise forms.ValidationError(
                _("Unsupported file type “%(ext)s”; upload one of: %(allowed)s."),
                params={"ext": ext or "?", "allowed": ", ".join(allowed)},
            )
        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; files larger than %(limit)s are not accepted."),
                params={"size": filesizeformat(f.size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)},
            )
        return f
