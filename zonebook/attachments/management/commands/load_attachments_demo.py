"""``manage.py load_attachments_demo``: two small files on a demo enterprise (skipped when present).

A generated site photo (PNG, so the panel shows a thumbnail) and a scanned licence (PDF), attached
through ``attachments.services.attach`` by a zone-office user, so the audit log shows the uploads.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

ENTERPRISE = "芯汇微电子（成都）有限公司"
UPLOADER = "gaoxin_staff"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def _image(kind: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    if kind == "photo":
        img = Image.new("RGB", (960, 640), (170, 205, 235))
        d = ImageDraw.Draw(img)
        d.rectangle((0, 440, 960, 640), fill=(120, 150, 110))
        d.rectangle((140, 220, 620, 470), fill=(225, 225, 220), outline=(90, 90, 90), width=4)
        d.rectangle((660, 300, 860, 470), fill=(200, 200, 195), outline=(90, 90, 90), width=4)
        for x in range(180, 600, 80):
            d.rectangle((x, 270, x + 40, 320), fill=(80, 120, 170))
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()
    img = Image.new("RGB", (1240, 874), (252, 250, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((30, 30, 1210, 844), outline=(180, 40, 40), width=8)
    if FONT.exists():
        big, small = ImageFont.truetype(str(FONT), 72), ImageFont.truetype(str(FONT), 34)
        d.text((620, 130), "营业执照", font=big, fill=(180, 40, 40), anchor="mm")
        d.text((620, 210), "（副本）", font=small, fill=(60, 60, 60), anchor="mm")
        for i, line in enumerate(
            (
                "名称：芯汇微电子（成都）有限公司",
                "类型：有限责任公司（外国法人独资）",
                "住所：中国（四川）自由贸易试验区成都高新区综合保税区",
                "经营范围：集成电路封装测试；电子元器件制造；货物进出口",
            )
        ):
            d.text((120, 320 + i * 80), line, font=small, fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "PDF", resolution=150)
    return out.getvalue()


class Command(BaseCommand):
    help = "Attach a demo site photo and licence scan to a demo enterprise."

    def handle(self, *args, **options):
        from zonebook.attachments import services
        from zonebook.attachments.models import Attachment
        from zonebook.core.context import acting_as

        Enterprise = apps.get_model("registry", "Enterprise")
        enterprise = Enterprise.objects.filter(name=ENTERPRISE).first()
        user = apps.get_model("accounts", "User").objects.filter(username=UPLOADER).first()
        if enterprise is None or user is None:
            self.stdout.write("attachments demo: the demo enterprise or its zone user is missing; skipped")
            return
        if Attachment.objects.of(enterprise).exists():
            return
        with acting_as("demo"):
            services.attach(
                enterprise, SimpleUploadedFile("厂区照片.png", _image("photo")), by=user, description="2026 年走访现场照片"
            )
            services.attach(
                enterprise, SimpleUploadedFile("营业执照（副本）.pdf", _image("licence")), by=user, description="扫描件"
            )
        self.stdout.write("attachments demo: 2 files attached to " + ENTERPRISE)
