"""Pages of bonded goods flows: the pairing queue (unpaired / mismatched, with age) and entry batches
with their partial exits."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zonebook.audit.services import record_event
from zonebook.core.errors import DomainError
from zonebook.core.permissions import may_write
from zonebook.core.views import scoped_object

from . import flows
from .models import EntryBatch


@login_required
def flow_queue(request):
    user = request.user
    rows = flows.queue(user)
    batches = EntryBatch.objects.for_user(user).select_related("enterprise")[:100]
    if request.GET.get("export") == "xlsx":
        from zonebook.core.exports import XlsxBook

        book = XlsxBook(constant_memory=False)
        ws = book.sheet("流转待配对")
        ws.header(["类型", "方向", "企业", "清单编号", "对方清单", "对方园区", "商品编码", "数量", "单位", "申报日期", "天数",
                   "状态", "问题"])
        for r in rows:
            ws.row([r.get_kind_display(), r.get_side_display(), r.enterprise.name, r.list_number, r.counterpart_list,
                    r.counterpart_zone.short_name, r.hs_code, r.qty, r.unit, r.declared_on, r.age,
                    r.get_state_display(), r.problem])
        record_event("operations.flow.exported", by=user, message=f"{len(rows)} rows")
        out = HttpResponse(book.bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        out["Content-Disposition"] = 'attachment; filename="flow-queue.xlsx"'
        return out
    return render(request, "operations/flows.html", {"rows": rows, "batches": batches})


@login_required
@scoped_object(EntryBatch)
def batch_detail(request, pk):
    batch = get_object_or_404(EntryBatch.objects.for_user(request.user).select_related("enterprise", "zone"), pk=pk)
    ctx = {"batch": batch, "releases": batch.releases.select_related("by", "gate_pass"),
           "can_release": may_write(request.user, "ops") and batch.remaining > 0}
    return render(request, "operations/batch_detail.html", ctx)


@login_required
@require_POST
@scoped_object(EntryBatch)
def batch_release(request, pk):
    batch = get_object_or_404(EntryBatch.objects.for_user(request.user), pk=pk)
    try:
        flows.release(batch, request.POST.get("qty", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Partial exit recorded."))
    return redirect("operations:batch_detail", batch.pk)
