"""Hostile xlsx files for the reader's safety checks (tests and ``tools/xlsx_bomb.py``).

``shared_strings_bomb`` writes a small, valid workbook whose shared-string table has ``strings``
entries, plus an incompressible padding member so that the archive as a whole compresses less than
the ratio limit (the attack of issue 14 §6).  Everything is streamed to disk: building the 4-million
string file needs no memory.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/octet-stream"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet(rows: list[list[str]], dimension: str | None) -> str:
    body = []
    for r, cells in enumerate(rows, start=1):
        cs = "".join(
            f'<c r="{chr(65 + j)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(cells)
        )
        body.append(f'<row r="{r}">{cs}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{dim}<sheetData>{"".join(body)}</sheetData></worksheet>'


def shared_strings_bomb(
    path: Path | str,
    strings: int,
    *,
    padding_bytes: int = 0,
    distinct: bool = False,
    declared: int | None = -1,
    rows: list[list[str]] | None = None,
    dimension: str | None = None,
) -> Path:
    """Write the workbook; ``declared``: the ``uniqueCount`` written (-1: the true count, None: none).
    ``distinct``: numbered strings (compress ~10×) instead of one repeated letter (compress ~1000×)."""
    path = Path(path)
    rows = rows if rows is not None else [["清单编号", "备案序号"], ["QD1", "1"]]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", _sheet(rows, dimension))
        count = (
            ""
            if declared is None
            else f' count="{strings if declared == -1 else declared}" uniqueCount="{strings if declared == -1 else declared}"'
        )
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}"{count}>'.encode())
            step = 100_000
            for start in range(0, strings, step):
                n = min(step, strings - start)
                if distinct:
                    chunk = "".join(f"<si><t>{i}</t></si>" for i in range(start, start + n))
                else:
                    chunk = "<si><t>a</t></si>" * n
                fh.write(chunk.encode())
            fh.write(b"</sst>")
        if padding_bytes:
            with zf.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
                left = padding_bytes
                while left:
                    n = min(left, 1024 * 1024)
                    fh.write(os.urandom(n))
                    left -= n
    return path
