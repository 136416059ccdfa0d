"""Document templates (公文模板): the list, edit form and a sample preview in .docx / PDF.

For users who maintain installation-wide reference data (system administrators, the province):
write area ``reference``.  Every write goes through ``services`` (audited).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.core.forms import apply_service_error
from zonebook.core.permissions import may_write

from . import services
from .charts import chart
from .content import Column, Document, Paragraph, Section, Table
from .formatting import chinese_month, cumulative_period, yi_yuan, yoy_text
from .forms import TemplateForm
from .models import DocumentTemplate
from .numbering import peek
from .render import FORMATS, document_download
from .templating import PLACEHOLDERS

AREA = "reference"


def may_edit(user) -> bool:
    """Menu visibility and the views' check: users who may write installation-wide reference data."""
    return may_write(user, AREA)


def _check(request):
    if not may_edit(request.user):
        raise PermissionDenied(_("Your role may not change document templates."))


@login_required
def template_list(request):
    _check(request)
    return render(request, "documents/template_list.html", {
        "templates": DocumentTemplate.objects.all(),
        "placeholders": PLACEHOLDERS,
    })


def _edit(request, instance: DocumentTemplate | None):
    form = TemplateForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                instance = services.create_template(form.cleaned_data, by=request.user)
                messages.success(request, _("Template saved."))
            else:
                fresh = DocumentTemplate.objects.get(pk=instance.pk)  # the form changed ``instance`` in place
                changes = services.update_template(fresh, form.cleaned_data, by=request.user)
                messages.success(request, _("Template saved.") if changes else _("Nothing changed."))
            return redirect("documents:template_list")
        except ValidationError as exc:
            apply_service_error(form, exc)
    return render(request, "documents/template_form.html", {
        "form": form,
        "template": instance,
        "placeholders": PLACEHOLDERS,
    })


@login_required
def template_create(request):
    _check(request)
    return _edit(request, None)


@login_required
def template_edit(request, pk: int):
    _check(request)
    return _edit(request, get_object_or_404(DocumentTemplate, pk=pk))


def sample_document(template: DocumentTemplate, today: dt.date | None = None) -> Document:
    """A short document of ``template``'s kind with sample figures: what the preview shows."""
    today = today or timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1))
    series = template.series or "示例"
    office = template.office or _("Sample office")
    return Document(
        kind=template.kind,
        title=_("Sample: %(name)s") % {"name": template.name},
        office=office,
        series=series,
        number=peek(office, series, today.year),
        date=today,
        context={"period": chinese_month(month), "zone": "成都高新综合保税区", "enterprise": "成都甲电子有限公司",
                 "deadline": f"{today.year}年{today.month}月{today.day}日", "count": "3", "issue": "1"},
        sections=[
            Section(_("Overview"), [
                Paragraph(f"{cumulative_period(month.year, month.month)}，全省开发区实现进出口总额"
                          f"{yi_yuan(Decimal('123456789012.34'))}，{yoy_text(Decimal('12.34'))}。",
                          footnotes=[_("Preliminary figures.")]),
                chart("bar", "各开发区进出口总额", ["成都高新综保区", "绵阳综保区", "宜宾综保区"],
                      {"本年": [Decimal("812.5"), Decimal("123.4"), Decimal("98.7")],
                       "上年": [Decimal("760.1"), Decimal("130.2"), Decimal("80.3")]}, unit="亿元"),
            ]),
            Section(_("By zone"), [
                Table([Column("开发区", align="left"), Column("进出口总额", unit="亿元", decimals=2),
                       Column("同比", unit="%", decimals=1)],
                      [["成都高新综保区", Decimal("812.5"), Decimal("6.9")],
                       ["绵阳综保区", Decimal("123.4"), Decimal("-5.2")]],
                      caption="表1  分开发区进出口情况", total=["合计", Decimal("935.9"), Decimal("5.1")]),
            ]),
        ],
        footnotes=["数据来源：海关统计。"],
    )


@login_required
def template_preview(request, pk: int, fmt: str):
    _check(request)
    if fmt not in FORMATS:
        raise Http404
    template = get_object_or_404(DocumentTemplate, pk=pk)
    return document_download(
        request, lambda: sample_document(template), fmt, f"{template.name}-{_('preview')}",
        back=reverse("documents:template_edit", args=[pk]),
    )
