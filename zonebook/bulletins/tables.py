"""Tables of the bulletin pages (page and xlsx export use the same columns)."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import NUMERIC_ATTRS, BaseTable, cap

from .models import Bulletin, BulletinVersion


class BulletinTable(BaseTable):
    title = tables.Column(verbose_name=cap(_("title")), linkify=True)
    entity = tables.Column(verbose_name=cap(_("scope")), accessor="entity__name", order_by=("entity__name",))
    frequency = tables.Column(verbose_name=cap(_("frequency")))
    period = tables.Column(verbose_name=cap(_("period")), accessor="period_label", order_by=("period",))
    number = tables.Column(verbose_name=cap(_("document number (文号)")), orderable=False)
    n_versions = tables.Column(verbose_name=cap(_("versions")), attrs=NUMERIC_ATTRS, orderable=False)
    published = tables.Column(verbose_name=cap(_("published version")), accessor="published_version__version",
                              orderable=False, default="—")
    published_at = tables.DateTimeColumn(verbose_name=cap(_("published at")), format="Y-m-d H:i", default="—")
    downloads = tables.Column(verbose_name=cap(_("download")), accessor="pk", orderable=False, exclude_from_export=True)

    class Meta(BaseTable.Meta):
        model = Bulletin
        fields = ()

    def render_downloads(self, record):
        n = record.published_version.version if record.published_version_id else record.latest_version
        if not n:
            return "—"
        links = [format_html('<a class="me-2" href="{}"><i class="bi bi-file-earmark-word"></i> .docx</a>',
                             reverse("bulletins:download", args=[record.pk, n, "docx"])),
                 format_html('<a href="{}"><i class="bi bi-file-earmark-pdf"></i> PDF</a>',
                             reverse("bulletins:download", args=[record.pk, n, "pdf"]))]
        return format_html("{}{} <span class=\"text-body-secondary small\">v{}</span>", links[0], links[1], n)


class VersionTable(BaseTable):
    version = tables.Column(verbose_name=cap(_("version")), attrs=NUMERIC_ATTRS)
    draft = tables.Column(verbose_name=cap(_("state")), orderable=False)
    review_note = tables.Column(verbose_name=cap(_("review state")), orderable=False, default="")
    built_at = tables.DateTimeColumn(verbose_name=cap(_("built at")), format="Y-m-d H:i")
    built_by = tables.Column(verbose_name=cap(_("built by")), default=_("scheduler"))
    published_at = tables.DateTimeColumn(verbose_name=cap(_("published at")), format="Y-m-d H:i", default="—")
    published_by = tables.Column(verbose_name=cap(_("published by")), default="—")
    docx_size = tables.Column(verbose_name=cap(_(".docx size (bytes)")), attrs=NUMERIC_ATTRS)
    pdf_size = tables.Column(verbose_name=cap(_("PDF size (bytes)")), attrs=NUMERIC_ATTRS)
    files = tables.Column(verbose_name=cap(_("download")), accessor="pk", orderable=False, exclude_from_export=True)

    class Meta(BaseTable.Meta):
        model = BulletinVersion
        fields = ()

    def render_draft(self, value, record):
        if record.published_at:
            return format_html('<span class="badge text-bg-success">{}</span>', _("published"))
        if value:
            return format_html('<span class="badge text-bg-warning">{}</span>', _("draft (watermarked)"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("ready to publish"))

    def value_draft(self, value, record):
        if record.published_at:
            return str(_("published"))
        return str(_("draft (watermarked)")) if value else str(_("ready to publish"))

    def render_built_by(self, value):
        return value.get_full_name() or value.get_username()

    def render_published_by(self, value):
        return value.get_full_name() or value.get_username()

    def value_built_by(self, value):
        return (value.get_full_name() or value.get_username()) if value else ""

    def value_published_by(self, value):
        return (value.get_full_name() or value.get_username()) if value else ""

    def render_docx_size(self, value):
        return f"{value:,}"

    def render_pdf_size(self, value):
        return f"{value:,}"

    def render_files(self, record):
        b = record.bulletin_id
        return format_html(
            '<a class="me-2" href="{}"><i class="bi bi-file-earmark-word"></i> .docx</a>'
            '<a class="me-2" href="{}"><i class="bi bi-file-earmark-pdf"></i> PDF</a>'
            '<a href="{}"><i class="bi bi-file-earmark-spreadsheet"></i> {}</a>',
            reverse("bulletins:download", args=[b, record.version, "docx"]),
            reverse("bulletins:download", args=[b, record.version, "pdf"]),
            reverse("bulletins:download", args=[b, record.version, "xlsx"]), _("tables (xlsx)"))
