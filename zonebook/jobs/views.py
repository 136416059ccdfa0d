from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zonebook.core.errors import DomainError

from . import schedules
from .models import Job


def _jobs(request):
    return Job.objects.for_user(request.user).select_related("created_by", "schedule_run")


@login_required
def job_list(request):
    page = Paginator(_jobs(request), 50).get_page(request.GET.get("page"))
    for job in page:
        job.with_live_progress()
    return render(
        request, "jobs/list.html", {"page": page, "can_manage_schedules": schedules.can_manage(request.user)}
    )


@login_required
@never_cache
def schedule_list(request):
    """The declared schedules: expression, last runs (failures in red), next run; "run now"."""
    if not schedules.can_manage(request.user):
        raise PermissionDenied
    return render(
        request, "jobs/schedules.html", {"statuses": schedules.status(), "tz": schedules.schedule_tz().key}
    )


@login_required
@require_POST
def schedule_run_now(request, name: str):
    if not schedules.can_manage(request.user):
        raise PermissionDenied
    if schedules.get(name) is None:
        raise Http404
    try:
        run = schedules.run_now(name, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("jobs:schedules")
    messages.success(request, _("The schedule was started; its job is shown below."))
    return redirect("jobs:detail", run.job_id)


@login_required
@never_cache
def job_detail(request, pk: int):
    job = get_object_or_404(_jobs(request), pk=pk).with_live_progress()
    return render(request, "jobs/detail.html", {"job": job})


@login_required
@never_cache
def job_progress(request, pk: int):
    """The HTMX-polled progress fragment; it stops polling once the job has finished.  ``?detail=1``:
    the job page's whole status block (bar, state, start and end times, messages)."""
    job = get_object_or_404(_jobs(request), pk=pk).with_live_progress()
    template = "jobs/_status.html" if request.GET.get("detail") else "jobs/_progress.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk: int):
    job = get_object_or_404(_jobs(request), pk=pk)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(job.result_file.name))


for _view in (job_detail, job_progress, job_download):
    _view.scoped_model = Job
