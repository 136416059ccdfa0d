"""Stop reading an upload as soon as it passes ``ATTACHMENT_MAX_BYTES``: a 10 GB request body is
not spooled to disk only to be refused afterwards (``services.attach`` checks the size again)."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from zonebook.core.errors import DomainError

from . import services


class SizeLimitHandler(FileUploadHandler):
    """First in the chain: passes chunks on until a file crosses the limit, then stops the upload
    (the rest of the body is read and discarded, nothing is stored) and notes the file's name."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        request.attachment_too_large = None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.attachment_too_large = self.file_name
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def limit(request) -> None:
    """Install the limit; call before ``request.POST`` / ``request.FILES`` / DRF's ``request.data``."""
    request.upload_handlers.insert(0, SizeLimitHandler(request, services.max_bytes()))


def too_large_error(request) -> DomainError | None:
    name = getattr(request, "attachment_too_large", None)
    if name is None:
        return None
    return DomainError(
        _("%(name)s is larger than %(limit)s, the most an attachment may be.")
        % {"name": services.clean_name(name), "limit": filesizeformat(services.max_bytes())},
        code="too_large",
        field="file",
    )
