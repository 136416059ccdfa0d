from __future__ import annotations

from django import forms

from zonebook.core.forms import BootstrapModelForm

from .models import DocumentTemplate


class TemplateForm(BootstrapModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["kind", "name", "office", "series", "header_text", "recipients", "intro", "signature", "footer",
                  "active"]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "footer": forms.Textarea(attrs={"rows": 2}),
        }
