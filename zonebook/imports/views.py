"""Import pages: choose a kind → upload → preview (all errors) → confirm (all rows or nothing).

The uploaded file is kept under MEDIA_ROOT/imports/ between preview and confirm; the session
holds its token (so only the uploader can confirm it).  Files larger than
IMPORT_SYNC_MAX_BYTES are checked and written by background jobs with a progress bar.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zonebook.core.imports import pipeline, updates
from zonebook.core.imports.kinds import all_kinds, get_kind
from zonebook.core.imports.readers import extension
from zonebook.core.imports.templates import build_error_report, build_template
from zonebook.core.permissions import may_write, require_write
from zonebook.jobs import services as job_services
from zonebook.jobs.models import Job

from .forms import UploadForm

SESSION_KEY = "imports"
JOB_FUNC = "zonebook.imports.jobs.run_import_job"


def sync_limit() -> int:
    return getattr(settings, "IMPORT_SYNC_MAX_BYTES", 2 * 1024 * 1024)


# Uploads nobody confirmed or discarded are removed after this many seconds.
UPLOAD_TTL = 24 * 3600


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def prune_uploads(now: float | None = None) -> int:
    """Delete abandoned uploads (older than UPLOAD_TTL); returns how many files went."""
    now = now or time.time()
    removed = 0
    for f in upload_dir().iterdir():
        try:
            if f.is_file() and now - f.stat().st_mtime > UPLOAD_TTL:
                f.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def _kind_or_404(key: str):
    kind_cls = get_kind(key)
    if kind_cls is None:
        raise Http404
    return kind_cls


IMPORT_DENIED = gettext_lazy("Your role may not import this data.")


def _entry(request, kind_key: str, token: str) -> dict:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("kind") != kind_key or not Path(entry["path"]).exists():
        raise Http404
    return entry


def _drop(request, token: str) -> None:
    store = request.session.get(SESSION_KEY, {})
    entry = store.pop(token, None)
    request.session[SESSION_KEY] = store
    if entry:
        for p in (Path(entry["path"]), Path(entry["path"]).with_suffix(".json")):
            p.unlink(missing_ok=True)


@login_required
def import_index(request):
    kinds = [{"cls": k, "can_write": may_write(request.user, k.write_area)} for k in all_kinds()]
    recent = (
        Job.objects.for_user(request.user)
        .filter(Q(kind__startswith="import.") | Q(params__has_key="after_import"))
        .order_by("-created_at")[:10]
    )
    return render(request, "imports/index.html", {"kinds": kinds, "recent": recent})


@login_required
def import_template(request, kind: str):
    kind_cls = _kind_or_404(kind)
    sample = getattr(kind_cls, "sample_file", None)
    if sample is not None:  # a kind with its own format (customs XML) offers an example file instead
        name, content_type, data = sample()
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    response = HttpResponse(
        build_template(kind_cls),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{kind_cls.key}-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, kind: str):
    kind_cls = _kind_or_404(kind)
    require_write(request.user, kind_cls.write_area, IMPORT_DENIED)
    form = UploadForm(request.POST or None, request.FILES or None, kind=kind_cls)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        mode = form.cleaned_data.get("mode") or updates.CREATE
        prune_uploads()
        token = uuid.uuid4().hex
        path = upload_dir() / f"{token}{extension(f.name)}"
        with open(path, "wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
        entry = {"kind": kind_cls.key, "path": str(path), "filename": f.name, "job": None, "mode": mode}
        if f.size > sync_limit():
            job = job_services.start_job(
                f"import.{kind_cls.key}.check",
                _("Check import file %(name)s") % {"name": f.name},
                request.user,
                JOB_FUNC,
                params={
                    "kind": kind_cls.key,
                    "path": str(path),
                    "filename": f.name,
                    "write": False,
                    "mode": mode,
                },
            )
            entry["job"] = job.pk
        else:
            result = pipeline.check(kind_cls, path, f.name, request.user, mode=mode)
            path.with_suffix(".json").write_text(
                json.dumps(result.as_dict(), ensure_ascii=False, default=str)
            )
        store = request.session.get(SESSION_KEY, {})
        store[token] = entry
        request.session[SESSION_KEY] = store
        return redirect("imports:preview", kind=kind_cls.key, token=token)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/upload.html", {"kind": kind_cls, "form": form}, status=status)


def _stored_result(entry) -> tuple[pipeline.ImportResult | None, Job | None]:
    if entry.get("job"):
        job = Job.objects.filter(pk=entry["job"]).first()
        if job is None or not job.finished:
            return None, job
        if job.state == Job.State.FAILED:
            return None, job
        return pipeline.ImportResult.from_dict(job.result), job
    data = json.loads(Path(entry["path"]).with_suffix(".json").read_text())
    return pipeline.ImportResult.from_dict(data), None


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, kind: str, token: str):
    kind_cls = _kind_or_404(kind)
    require_write(request.user, kind_cls.write_area, IMPORT_DENIED)
    entry = _entry(request, kind_cls.key, token)
    result, job = _stored_result(entry)
    status = 200
    if request.method == "POST":
        if result is None or not result.ok:
            return redirect("imports:preview", kind=kind_cls.key, token=token)
        path = Path(entry["path"])
        if path.stat().st_size > sync_limit():
            write_job = job_services.start_job(
                f"import.{kind_cls.key}",
                _("Import %(kind)s from %(name)s") % {"kind": kind_cls.label, "name": entry["filename"]},
                request.user,
                JOB_FUNC,
                params={
                    "kind": kind_cls.key,
                    "path": str(path),
                    "filename": entry["filename"],
                    "write": True,
                    "mode": entry.get("mode", updates.CREATE),
                },
            )
            store = request.session.get(SESSION_KEY, {})
            store.pop(token, None)
            request.session[SESSION_KEY] = store
            return redirect("jobs:detail", pk=write_job.pk)
        first_job = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        final = pipeline.run(
            kind_cls, path, entry["filename"], request.user, mode=entry.get("mode", updates.CREATE)
        )
        if final.ok:
            _drop(request, token)
            _follow_up_messages(request, kind_cls, after=first_job)
            if final.updating:
                messages.success(
                    request,
                    _("%(new)d records added, %(changed)d updated, %(unchanged)d rows unchanged.")
                    % {
                        "new": final.new_rows,
                        "changed": final.changed_rows,
                        "unchanged": final.unchanged_rows,
                    },
                )
            else:
                messages.success(request, _("%(n)d rows imported.") % {"n": final.written})
            return redirect(reverse("imports:index"))
        result = final
        status = 400
    return render(
        request,
        "imports/preview.html",
        {
            "kind": kind_cls,
            "entry": entry,
            "token": token,
            "result": result,
            "job": job,
            "preview_limit": pipeline.PREVIEW_ROWS,
            "changes_limit": updates.MAX_CHANGES,
            "mode_label": updates.MODES.get(entry.get("mode", updates.CREATE)),
            "preview_rows": list(zip(result.preview_numbers, result.preview, strict=False)) if result else [],
        },
        status=status,
    )


def follow_up_jobs(user, kind_key: str, after: int = 0):
    """Background jobs an import started (e.g. the recomputation of statistics after a customs import):
    jobs whose ``params["after_import"]`` is the kind, created by this user after job ``after``."""
    return Job.objects.for_user(user).filter(pk__gt=after, created_by=user, params__after_import=kind_key)


def _follow_up_messages(request, kind_cls, *, after: int) -> None:
    for job in follow_up_jobs(request.user, kind_cls.key, after):
        messages.info(
            request,
            format_html(
                '{} <a href="{}">{}</a>', job.label, reverse("jobs:detail", args=[job.pk]), _("Follow its progress")
            ),
        )


@login_required
@require_http_methods(["POST"])
def import_discard(request, kind: str, token: str):
    kind_cls = _kind_or_404(kind)
    _entry(request, kind_cls.key, token)
    _drop(request, token)
    messages.info(request, _("The uploaded file was discarded."))
    return redirect("imports:upload", kind=kind_cls.key)


@login_required
def import_errors(request, kind: str, token: str):
    """The preview's errors as an xlsx file."""
    kind_cls = _kind_or_404(kind)
    entry = _entry(request, kind_cls.key, token)
    result, _job = _stored_result(entry)
    if result is None:
        raise Http404
    response = HttpResponse(
        build_error_report(result.errors),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{kind_cls.key}-errors.xlsx"'
    return response
