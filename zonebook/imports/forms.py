from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from zonebook.core.imports.readers import ALLOWED_EXTENSIONS, extension


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx, .xls or .csv file (UTF-8 or GB18030) whose first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        ext = extension(f.name)
        if ext not in ALLOWED_EXTENSIONS:
            raise forms.ValidationError(
                _("Unsupported file type “%(ext)s”; upload an .xlsx, .xls or .csv file."),
                params={"ext": ext or "?"},
            )
        if f.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; files larger than %(limit)s are not accepted."),
                params={"size": filesizeformat(f.size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)},
            )
        return f
