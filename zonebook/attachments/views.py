"""Attachment pages: the panel (list + upload + delete) of any registered record, and the scoped
download.  Every lookup goes through the parent's scope (out of scope → 404, never 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from zonebook.core.errors import DomainError
from zonebook.core.scoping import apply_scope
from zonebook.core.views import scoped_object

from . import attachable, services, sniffing, uploads
from .models import Attachment


def parent_for(user, target: str):
    """The record named by ``target`` (``app_label.model.pk``) if attachments are enabled for its
    model and the user sees it; else 404."""
    try:
        label, _sep, pk = target.rpartition(".")
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    entry = attachable.get(label)
    if entry is None or pk < 1 or pk > 2**63 - 1:
        raise Http404
    parent = apply_scope(entry.model._base_manager.filter(pk=pk), user).first()
    if parent is None:
        raise Http404
    return parent


def target_of(parent) -> str:
    return f"{parent._meta.label_lower}.{parent.pk}"


def panel_context(request, parent, error: str = "") -> dict:
    return {
        "parent": parent,
        "target": target_of(parent),
        "panel_id": f"attachments-{parent._meta.label_lower.replace('.', '-')}-{parent.pk}",
        "attachments": list(Attachment.objects.of(parent).select_related("uploaded_by")),
        "can_attach": attachable.may_write(request.user, parent),
        "max_bytes": services.max_bytes(),
        "accept": ",".join(ext for k in sniffing.allowed_kinds() for ext in sniffing.KINDS[k].extensions),
        "allowed": sniffing.allowed_names(),
        "error": error,
    }


def _back(request, parent, error: str = ""):
    if getattr(request, "htmx", False):
        # 200 with the error inside the panel: HTMX swaps only 2xx answers
        return render(request, "attachments/_panel.html", panel_context(request, parent, error))
    if error:
        messages.error(request, error)
    url = parent.get_absolute_url() if hasattr(parent, "get_absolute_url") else "/"
    return redirect(f"{url}?tab=attachments")


@csrf_exempt  # the CSRF check runs in _panel, after the size limit is installed (it reads request.POST)
@login_required
@require_http_methods(["GET", "POST"])
def panel(request, target):
    """GET: the panel as an HTMX partial.  POST: upload one or more files (field ``file``)."""
    uploads.limit(request)
    return _panel(request, target)


@csrf_protect
def _panel(request, target):
    parent = parent_for(request.user, target)
    if request.method == "GET":
        return render(request, "attachments/_panel.html", panel_context(request, parent))
    if not attachable.may_write(request.user, parent):
        raise PermissionDenied(_("Your role may not add or delete attachments here."))
    files = request.FILES.getlist("file")
    too_large = uploads.too_large_error(request)
    if too_large is not None:
        return _back(request, parent, str(too_large))
    if not files:
        return _back(request, parent, _("Choose a file to attach."))
    description = request.POST.get("description", "").strip()
    for upload in files:
        try:
            services.attach(parent, upload, by=request.user, description=description)
        except DomainError as exc:
            return _back(request, parent, f"{services.clean_name(upload.name)}: {exc}")
    if not getattr(request, "htmx", False):
        messages.success(request, _("The file was attached."))
    return _back(request, parent)


def _attachment(request, pk) -> Attachment:
    return get_object_or_404(
        Attachment.objects.for_user(request.user).select_related("content_type"), pk=pk
    )


@scoped_object(Attachment)
@login_required
def download(request, pk):
    att = _attachment(request, pk)
    services.record_download(att, by=request.user)
    return file_response(att)


def file_response(att: Attachment) -> FileResponse:
    """The file as a download: the sniffed type, the original name (RFC 5987 ``filename*`` for
    Chinese names), never rendered inline."""
    response = FileResponse(
        att.file.open("rb"), as_attachment=True, filename=att.original_name, content_type=att.mime
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@scoped_object(Attachment)
@login_required
def thumbnail(request, pk):
    att = _attachment(request, pk)
    if not att.thumbnail:
        raise Http404
    response = FileResponse(att.thumbnail.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@scoped_object(Attachment)
@login_required
@require_POST
def delete(request, pk):
    att = _attachment(request, pk)
    parent = att.parent
    services.delete(att, by=request.user)
    if not getattr(request, "htmx", False):
        messages.success(request, _("The attachment was deleted."))
    return _back(request, parent)


