"""Demo: a few INV101 messages of 芯汇微电子's book with their receipts (two posted, one declared), and
one receipt whose list has not arrived (it waits in the queue).  Everything goes through the import
kinds, so running it again changes nothing (same messages, same receipt numbers)."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from pathlib import Path

DEMO_ENTERPRISE = "芯汇微电子（成都）有限公司"


def _book():
    from zonebook.ledger.choices import BookStatus
    from zonebook.ledger.models import Book

    qs = Book.objects.filter(status=BookStatus.IN_USE, items__kind="material").distinct().order_by("number")
    return qs.filter(enterprise__name=DEMO_ENTERPRISE).first() or qs.first()


def build_zip(book, path: Path, today: dt.date) -> None:
    from . import xmlio

    mode = "5000" if book.kind == "H" else "0615"
    items = list(book.items.filter(kind="material").order_by("seq_no")[:3])
    office = (book.customs_office or "7901")[:4]
    messages, receipts = [], []
    for n in range(1, 4):
        day = today - dt.timedelta(days=10 - n)
        number = f"QD{office}{day:%y}I8{n:08d}"
        head = {
            "bondInvtNo": number,
            "etpsInnerInvtNo": f"ZB-DEMO-{n:03d}",
            "putrecNo": book.number,
            "bizopEtpsNm": book.enterprise.name,
            "invtDclTime": day.strftime("%Y%m%d"),
            "impexpMarkcd": "I",
            "mtpckEndprdMarkcd": "I",
            "supvModecd": mode,
            "dclcusFlag": "2",
            "invtType": "0",
            "dclTypecd": "1",
        }
        lines = [
            {
                "gdsSeqno": str(k),
                "putrecSeqno": str(item.seq_no),
                "gdsMtno": item.part_no,
                "gdecd": item.hs_code,
                "gdsNm": item.name,
                "dclUnitcd": item.unit,
                "dclQty": str(100 * n * k),
                "dclUprcAmt": str(item.unit_price),
                "dclTotalAmt": str(
                    (item.unit_price * 100 * n * k).quantize(item.unit_price.__class__("0.01"))
                ),
                "dclCurrcd": "502",
            }
            for k, item in enumerate(items, start=1)
        ]
        messages.append(
            (
                f"INV101_{number}.xml",
                xmlio.write_inv101(
                    head, lines, message_id=f"DEMO-INV101-{n}", send_time=f"{day:%Y-%m-%d}T09:00:00"
                ),
            )
        )
        deducted = n < 3
        receipts.append(
            (
                f"INV201_{number}.xml",
                xmlio.write_receipt(
                    {
                        "etpsPreentNo": head["etpsInnerInvtNo"],
                        "businessId": number,
                        "manageResult": "1",
                        "manageDate": f"{day:%Y-%m-%d} 15:00:00",
                    },
                    {
                        "bondInvtNo": number,
                        "etpsInnerInvtNo": head["etpsInnerInvtNo"],
                        "putrecNo": book.number,
                        "invtStucd": "0" if deducted else "1",
                        "vrfdedMarkcd": "2" if deducted else "0",
                    },
                    message_id=f"DEMO-INV201-{n}",
                    send_time=f"{day:%Y-%m-%d}T15:00:00",
                ),
            )
        )
    # a receipt for a list whose message has not come: it waits in the queue
    missing = f"QD{office}{today:%y}I899999999"
    receipts.append(
        (
            f"INV201_{missing}.xml",
            xmlio.write_receipt(
                {
                    "etpsPreentNo": "ZB-DEMO-404",
                    "businessId": missing,
                    "manageResult": "1",
                    "manageDate": f"{today:%Y-%m-%d} 10:00:00",
                },
                {
                    "bondInvtNo": missing,
                    "etpsInnerInvtNo": "ZB-DEMO-404",
                    "putrecNo": book.number,
                    "invtStucd": "0",
                    "vrfdedMarkcd": "2",
                },
                message_id="DEMO-INV201-404",
                send_time=f"{today:%Y-%m-%d}T10:00:00",
            ),
        )
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in messages + receipts:
            zf.writestr(name, data)


def load(stdout) -> None:
    from django.utils import timezone

    from . import jobs
    from .models import MessageSource

    book = _book()
    if book is None:
        stdout.write("customs: no book in use, no demo messages")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-customs.zip"
        build_zip(book, path, timezone.localdate())
        result = jobs.process(path, path.name, None, MessageSource.DEMO)
    stdout.write(
        f"customs: {result['inv101']['written']} INV101 lines, {result['receipts']['written']} receipts "
        f"({result['inv101']['error_count'] + result['receipts']['error_count']} errors)"
    )


def present() -> bool:
    from .models import Receipt

    return Receipt.objects.filter(message_id="DEMO-INV201-404").exists()
