"""The one content-type rule for attachments: what a file IS is decided by its bytes, not its name.

``detect(head, fileobj)`` names the kind from the magic bytes (and, for zip containers, the members
that make a .docx or .xlsx).  An upload is accepted only when

1. its bytes are not an executable (ELF, Windows MZ/PE, Mach-O, Java class) — refused whatever the name;
2. its bytes are one of the kinds in ``KINDS`` that ``settings.ATTACHMENT_ALLOWED_KINDS`` allows; and
3. the extension of its name is one of that kind's extensions (a PNG named ``.pdf`` is refused too).

The stored file gets the kind's MIME type; the browser never sees the uploader's claimed type.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 8192


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    mime: str
    extensions: tuple[str, ...]
    image: bool = False


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("pdf", _("PDF document"), "application/pdf", (".pdf",)),
        Kind("png", _("PNG image"), "image/png", (".png",), image=True),
        Kind("jpeg", _("JPEG image"), "image/jpeg", (".jpg", ".jpeg"), image=True),
        Kind("gif", _("GIF image"), "image/gif", (".gif",), image=True),
        Kind("webp", _("WebP image"), "image/webp", (".webp",), image=True),
        Kind(
            "docx",
            _("Word document"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        Kind("xlsx", _("Excel workbook"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
        Kind("doc", _("Word 97-2003 document"), "application/msword", (".doc",)),
        Kind("xls", _("Excel 97-2003 workbook"), "application/vnd.ms-excel", (".xls",)),
        Kind("txt", _("Text file"), "text/plain; charset=utf-8", (".txt",)),
        Kind("csv", _("CSV file"), "text/csv; charset=utf-8", (".csv",)),
    )
}

EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux / Unix ELF
    b"MZ",  # Windows PE / DOS
    b"\xfe\xed\xfa\xce",  # Mach-O 32
    b"\xfe\xed\xfa\xcf",  # Mach-O 64
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Refused(Exception):
    """The file is refused; ``str(exc)`` says why, for the uploader."""


def is_executable(head: bytes) -> bool:
    return head.startswith(EXECUTABLE_MAGIC)


def _zip_kind(fileobj) -> str | None:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        fileobj.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head[:-4] if len(head) == HEAD_BYTES else head  # a multi-byte character may be cut at the end
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def detect(head: bytes, fileobj, extension: str) -> str | None:
    """The content families a file's bytes belong to; ``extension`` only chooses between kinds whose
    bytes look alike (.doc / .xls share the OLE container, .txt / .csv are both text)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(fileobj)
    if head.startswith(OLE_MAGIC):
        return "xls" if extension == ".xls" else "doc"
    if head and _is_text(head):
        return "csv" if extension == ".csv" else "txt"
    return None


def allowed_kinds() -> list[str]:
    configured = getattr(settings, "ATTACHMENT_ALLOWED_KINDS", None)
    return [k for k in KINDS if configured is None or k in configured]


def check(head: bytes, fileobj, name: str) -> Kind:
    """The kind of an uploaded file, or ``Refused`` (the one sniffing rule, see the module docstring)."""
    extension = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    if is_executable(head):
        raise Refused(_("The file is a program (executable), which may not be attached."))
    key = detect(head, fileobj, extension)
    allowed = allowed_kinds()
    if key is None or key not in allowed:
        raise Refused(_("This type of file may not be attached. Allowed: %(kinds)s.") % {"kinds": allowed_names()})
    kind = KINDS[key]
    if extension not in kind.extensions:
        raise Refused(
            _("The file's content is a %(kind)s, which does not match its name “%(name)s”.")
            % {"kind": kind.label, "name": name}
        )
    return kind


def allowed_names() -> str:
    return ", ".join(ext for k in allowed_kinds() for ext in KINDS[k].extensions)
