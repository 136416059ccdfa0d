"""Attachment services: every upload, download and delete is checked here and audited on the parent
record in the same transaction (DESIGN.md §3).  Views, the API and the demo call these."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.errors import DomainError

from . import attachable, sniffing
from .models import Attachment, attachment_storage

THUMBNAIL_SIZE = (320, 320)
MAX_NAME = 200


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def clean_name(name: str) -> str:
    """The display name of an upload: no directory parts (``../../etc/passwd`` → ``passwd``), no
    control characters, no leading dots, at most 200 characters (the extension kept).  The file is
    never stored under this name (see ``_stored_name``)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name or "file"


def _stored_name(kind: sniffing.Kind, suffix: str = "") -> str:
    today = timezone.localdate()
    return f"attachments/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}{kind.extensions[0] if not suffix else '.png'}"


def _refuse(message, code: str) -> DomainError:
    return DomainError(str(message), code=code, field="file")


def _scan(upload, name: str) -> None:
    """The virus-scan hook: ``settings.ATTACHMENT_VIRUS_SCANNER`` is a dotted path to a callable
    ``scan(fileobj, name) -> None | str`` (``None`` = clean, a string = what was found).  A scanner
    that fails refuses the file (fail closed)."""
    path = getattr(settings, "ATTACHMENT_VIRUS_SCANNER", None)
    if not path:
        return
    scanner = import_string(path)
    upload.seek(0)
    try:
        finding = scanner(upload, name)
    except Exception as exc:  # noqa: BLE001 - any scanner failure refuses the upload
        raise _refuse(_("The file could not be checked for viruses (%(error)s).") % {"error": exc}, "scan_failed")
    finally:
        upload.seek(0)
    if finding:
        raise _refuse(_("The virus scanner refused the file: %(finding)s.") % {"finding": finding}, "virus")


def _thumbnail(upload) -> bytes:
    """A PNG of at most 320×320 px; an image Pillow cannot read, or one whose pixel count could
    exhaust memory, is refused (its magic bytes lied or it is a decompression bomb)."""
    from PIL import Image

    limit = int(getattr(settings, "ATTACHMENT_MAX_IMAGE_PIXELS", 50_000_000))
    upload.seek(0)
    try:
        with Image.open(upload) as img:
            if img.width * img.height > limit:
                raise _refuse(_("The image is too large (more than %(n)s pixels).") % {"n": limit}, "image_too_large")
            img.draft("RGB", THUMBNAIL_SIZE)
            img.load()
            img.thumbnail(THUMBNAIL_SIZE)
            if img.mode not in ("RGB", "RGBA"):
                img = img.convert("RGBA" if "transparency" in img.info or img.mode in ("LA", "PA") else "RGB")
            out = io.BytesIO()
            img.save(out, "PNG", optimize=True)
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors for a broken image
        raise _refuse(_("The image file is damaged and cannot be read."), "image_damaged") from None
    finally:
        upload.seek(0)
    return out.getvalue()


def _sha256(upload) -> str:
    upload.seek(0)
    h = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        h.update(chunk)
    upload.seek(0)
    return h.hexdigest()


def check_parent(parent, by) -> None:
    if attachable.for_model(parent) is None:
        raise _refuse(_("Files cannot be attached to this kind of record."), "not_attachable")
    if not attachable.may_write(by, parent):
        raise PermissionDenied(_("Your role may not add or delete attachments here."))


def attach(parent, upload, *, by, description: str = "") -> Attachment:
    """Check and store ``upload`` (a Django ``UploadedFile`` or ``File``) as an attachment of ``parent``.

    Refused (``DomainError``, field ``file``): empty or over ``ATTACHMENT_MAX_BYTES``; an executable,
    a type not allowed, or content not matching the name (``sniffing.check``); a virus-scan finding;
    a damaged image.  The file is stored under a generated name; the cleaned original name is kept
    for display and download."""
    check_parent(parent, by)
    name = clean_name(getattr(upload, "name", ""))
    size = upload.size
    if not size:
        raise _refuse(_("The file is empty."), "empty")
    if size > max_bytes():
        raise _refuse(
            _("The file is %(size)s; attachments may be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
            "too_large",
        )
    upload.seek(0)
    head = upload.read(sniffing.HEAD_BYTES)
    upload.seek(0)
    try:
        kind = sniffing.check(head, upload, name)
    except sniffing.Refused as exc:
        raise _refuse(exc, "type") from None
    _scan(upload, name)
    thumb = _thumbnail(upload) if kind.image else None
    digest = _sha256(upload)

    storage = attachment_storage()
    stored = storage.save(_stored_name(kind), upload)
    saved = [stored]
    try:
        thumb_name = ""
        if thumb is not None:
            thumb_name = storage.save(_stored_name(kind, "-thumb"), io.BytesIO(thumb))
            saved.append(thumb_name)
        with transaction.atomic():
            att = Attachment(
                parent=parent,
                original_name=name,
                kind=kind.key,
                size=size,
                sha256=digest,
                description=description[:200],
                uploaded_by=by if getattr(by, "is_authenticated", False) else None,
            )
            att.file.name = stored
            att.thumbnail.name = thumb_name
            att.save()
            audit.record(
                parent,
                code="attachments.uploaded",
                by=by,
                changes={"attachment": [None, name], "sha256": [None, digest]},
                message=_message(_("Attached %(name)s"), att),
            )
    except BaseException:
        for n in saved:
            storage.delete(n)
        raise
    return att


def _message(text: str, att: Attachment) -> str:
    """The entry's message: what happened to which file (attachment id, type, size)."""
    return f"{text % {'name': att.original_name}} (#{att.pk}, {att.kind}, {filesizeformat(att.size)})"


def record_download(att: Attachment, *, by) -> None:
    """Audit one download (the view streams the file after this returns)."""
    with transaction.atomic():
        audit.record(
            att.parent,
            code="attachments.downloaded",
            by=by,
            changes={"attachment": [att.original_name, att.original_name]},
            message=_message(_("Downloaded %(name)s"), att),
        )


def delete(att: Attachment, *, by) -> None:
    """Delete an attachment: the row and the audit entry in one transaction, the files after commit."""
    parent = att.parent
    check_parent(parent, by)
    with transaction.atomic():
        audit.record(
            parent,
            code="attachments.attachment_deleted",
            by=by,
            changes={"attachment": [att.original_name, None], "sha256": [att.sha256, None]},
            message=_message(_("Deleted attachment %(name)s"), att),
        )
        names = [n for n in (att.file.name, att.thumbnail.name) if n]
        att.delete()
        transaction.on_commit(lambda: _delete_files(names))


def delete_for_parent(parent) -> int:
    """The parent row is being deleted (its own service audits that): drop its attachments and files."""
    rows = list(Attachment.objects.of(parent).values_list("pk", "file", "thumbnail"))
    if not rows:
        return 0
    Attachment.objects.filter(pk__in=[r[0] for r in rows]).delete()
    names = [n for r in rows for n in r[1:] if n]
    transaction.on_commit(lambda: _delete_files(names))
    return len(rows)


def _delete_files(names) -> None:
    storage = attachment_storage()
    for n in names:
        storage.delete(n)
