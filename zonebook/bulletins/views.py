"""Bulletin pages: the list (scoped, with downloads and export), a new bulletin, the detail with its
versions, a new version, publish, and the downloads (.docx, PDF and the tables as xlsx)."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zonebook.core import exports
from zonebook.core.lists import FilteredListView, bootstrapify
from zonebook.core.views import scoped_object

from . import services
from .build import BulletinError, Period, build_document, parse_period
from .filtersets import BulletinFilterSet
from .models import Bulletin, BulletinVersion
from .tables import BulletinTable, VersionTable


class BulletinList(FilteredListView):
    model = Bulletin
    filterset_class = BulletinFilterSet
    table_class = BulletinTable
    template_name = "bulletins/list.html"
    title = gettext_lazy("Bulletins")
    export_filename = gettext_lazy("bulletins")
    export_code = "bulletins.bulletin.exported"

    def get_queryset(self):
        return (Bulletin.objects.for_user(self.request.user).select_related("entity", "published_version")
                .annotate(n_versions=Count("versions"), latest_version=Max("versions__version")))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["may_build"] = services.may_build(self.request.user)
        return ctx


class NewBulletinForm(forms.Form):
    scope = forms.ModelChoiceField(label=gettext_lazy("Scope"), queryset=None)
    period = forms.CharField(label=gettext_lazy("Period"), max_length=10,
                             help_text=gettext_lazy("YYYY-MM for a month, YYYY-Qn for a quarter (e.g. 2026-10, 2026-Q3)."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = services.scopes_for(user).order_by("level", "name")
        self.fields["scope"].label_from_instance = lambda e: f"{e.name}（{e.get_level_display()}）"

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data["period"])
        except BulletinError as exc:
            raise forms.ValidationError(str(exc)) from None


def _versions_for(user, bulletin: Bulletin):
    """Everyone who may build the scope's bulletins sees every version; others (a city reading the
    province's bulletin) only the published ones."""
    qs = bulletin.versions.select_related("built_by", "published_by")
    if services.scopes_for(user).filter(pk=bulletin.entity_id).exists():
        return qs, True
    return qs.filter(published_at__isnull=False), False


@login_required
def new(request):
    if not services.may_build(request.user):
        raise PermissionDenied(_("Your role may not build bulletins."))
    form = NewBulletinForm(request.POST or None, user=request.user)
    bootstrapify(form)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.build(form.cleaned_data["scope"], form.cleaned_data["period"], by=request.user)
        except BulletinError as exc:
            form.add_error("period", str(exc))
        else:
            if version.draft:
                messages.warning(request, _("Built version %(n)s as a draft with a watermark: %(note)s")
                                 % {"n": version.version, "note": version.review_note})
            else:
                messages.success(request, _("Built version %(n)s.") % {"n": version.version})
            return redirect(version.bulletin)
    return render(request, "bulletins/new.html", {"form": form, "title": _("New bulletin")})


@scoped_object(Bulletin)
@login_required
def detail(request, pk):
    bulletin = get_object_or_404(Bulletin.objects.for_user(request.user).select_related("entity", "published_version"),
                                 pk=pk)
    versions, may_build = _versions_for(request.user, bulletin)
    if request.GET.get("export") == "xlsx":
        return exports.export_table(VersionTable, versions.order_by("-version"), "xlsx",
                                    filename=f"{bulletin.period_label}-{bulletin.entity.code}-versions",
                                    request=request, sheet_title=_("Versions"))
    table = VersionTable(versions.order_by("-version"), request=request)
    table.paginate(per_page=50)
    unpublished = [v for v in versions if not v.draft and v.published_at is None] if may_build else []
    return render(request, "bulletins/detail.html", {
        "bulletin": bulletin, "table": table, "title": bulletin.title, "may_build": may_build,
        "publishable": unpublished, **_figures_now(bulletin),
    })


def _figures_now(bulletin: Bulletin) -> dict:
    """The bulletin's headline sentences and charts from today's figures (what a new version would say)."""
    from zonebook.documents.content import Chart, Paragraph

    try:
        doc = build_document(bulletin.entity, _period_of(bulletin))
    except BulletinError:
        return {}
    first = doc.sections[0]
    return {
        "sentences": [b.text for b in first.blocks if isinstance(b, Paragraph)],
        "charts": [b for s in doc.sections for b in s.blocks if isinstance(b, Chart)][:3],
    }


def _period_of(bulletin: Bulletin) -> Period:
    return Period(bulletin.frequency, bulletin.period.year, bulletin.period.month)


@scoped_object(Bulletin)
@login_required
@require_POST
def rebuild(request, pk):
    bulletin = get_object_or_404(Bulletin.objects.for_user(request.user), pk=pk)
    try:
        version = services.build(bulletin.entity, _period_of(bulletin), by=request.user)
    except BulletinError as exc:
        messages.error(request, str(exc))
    else:
        if version.draft:
            messages.warning(request, _("Built version %(n)s as a draft with a watermark: %(note)s")
                             % {"n": version.version, "note": version.review_note})
        else:
            messages.success(request, _("Built version %(n)s.") % {"n": version.version})
    return redirect(bulletin)


@scoped_object(Bulletin)
@login_required
@require_POST
def publish(request, pk):
    bulletin = get_object_or_404(Bulletin.objects.for_user(request.user), pk=pk)
    try:
        n = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("Choose the version to publish."))
        return redirect(bulletin)
    version = bulletin.versions.filter(version=n).first()
    if version is None:
        messages.error(request, _("Version %(n)s does not exist.") % {"n": n})
        return redirect(bulletin)
    try:
        services.publish(version, by=request.user)
    except BulletinError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Version %(n)s published.") % {"n": n})
    return redirect(bulletin)


NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")


def _cell(text: str):
    text = text.strip()
    if NUMBER.match(text):
        try:
            return Decimal(text.replace(",", ""))
        except InvalidOperation:
            return text
    return text


def tables_xlsx(version: BulletinVersion, filename: str) -> FileResponse:
    """Every table of the stored .docx of ``version`` as one sheet each (numbers as numbers)."""
    from docx import Document as Docx

    with version.docx.open("rb") as fh:
        d = Docx(io.BytesIO(fh.read()))
    book = exports.XlsxBook()
    for i, table in enumerate(d.tables, start=1):
        ws = book.sheet(f"表{i}")
        ws.note(f"{version.bulletin.number} {version.bulletin.title} v{version.version}".strip())
        for r, row in enumerate(table.rows):
            cells = [c.text for c in row.cells]
            if r == 0:
                ws.header(cells)
            else:
                ws.row([_cell(c) for c in cells])
    tmp = book.close()
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=f"{filename}.xlsx", content_type=exports.XLSX_CONTENT_TYPE)


@scoped_object(Bulletin)
@login_required
def download(request, pk, version, fmt):
    bulletin = get_object_or_404(Bulletin.objects.for_user(request.user).select_related("entity"), pk=pk)
    versions, _may = _versions_for(request.user, bulletin)
    v = versions.filter(version=version).first()
    if v is None or fmt not in ("docx", "pdf", "xlsx"):
        raise Http404(_("Not found."))
    name = f"{bulletin.period_label}-{bulletin.entity.name}-通报-v{v.version}" + ("-草稿" if v.draft else "")
    if fmt == "xlsx":
        return tables_xlsx(v, name)
    f = v.docx if fmt == "docx" else v.pdf
    return FileResponse(f.open("rb"), as_attachment=True, filename=f"{name}.{fmt}")
