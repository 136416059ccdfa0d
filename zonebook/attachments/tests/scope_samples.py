"""Out-of-scope sample for the URL-walking scope test: a file attached to the Chongqing enterprise."""

from django.core.files.base import ContentFile

from zonebook.core.testing.scope_samples import register


@register("attachments.attachment")
def _attachment(world):
    from zonebook.attachments.models import Attachment

    att = Attachment(parent=world.enterprises.c1, original_name="重庆营业执照.txt", kind="txt", size=5, sha256="0" * 64)
    att.file.save("walk-sample.txt", ContentFile(b"hello"), save=False)
    att.save()
    return att
