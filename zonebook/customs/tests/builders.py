"""Build INV101 messages and receipts for tests (through the same writer the export uses)."""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from pathlib import Path

from zonebook.customs import xmlio

_serial = itertools.count(1)


def head(book, *, number=None, inner=None, mode="0615", ie="I", kind="I", date=dt.date(2026, 3, 1), **extra):
    n = next(_serial)
    out = {
        "bondInvtNo": number or f"QD510126{ie}{500_000_000 + n:09d}",
        "etpsInnerInvtNo": inner or f"INNER-{n:05d}",
        "putrecNo": book.number,
        "invtDclTime": date.strftime("%Y%m%d"),
        "impexpMarkcd": ie,
        "mtpckEndprdMarkcd": kind,
        "supvModecd": mode,
        "dclcusFlag": "2",
        "invtType": "0",
        "dclTypecd": "1",
    }
    out.update(extra)
    return out


def line(seq, qty, *, gds=None, unit="007", hs="8542319000", **extra):
    out = {
        "gdsSeqno": str(gds or seq),
        "putrecSeqno": str(seq),
        "gdecd": hs,
        "gdsNm": f"料件{seq}",
        "dclUnitcd": unit,
        "dclQty": str(qty),
        "dclUprcAmt": "12.5",
        "dclTotalAmt": str(round(12.5 * float(qty), 2)),
        "dclCurrcd": "502",
    }
    out.update(extra)
    return out


def inv101(h, lines, message_id=None) -> bytes:
    return xmlio.write_inv101(
        h, lines, message_id=message_id or f"M{h['bondInvtNo']}", send_time="2026-03-01T09:00:00"
    )


def receipt(
    book, *, number="", inner="", status="0", deduction="2", message_id=None, when="2026-03-02 10:00:00"
) -> bytes:
    return xmlio.write_receipt(
        {"etpsPreentNo": inner, "businessId": number, "manageResult": "1", "manageDate": when},
        {
            "bondInvtNo": number,
            "etpsInnerInvtNo": inner,
            "putrecNo": book.number,
            "invtStucd": status,
            "vrfdedMarkcd": deduction,
        },
        message_id=message_id or f"R-{number or inner}-{status}{deduction}",
        send_time=when.replace(" ", "T"),
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def zip_of(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path
