"""Reading and writing the customs messages: INV101 (核注清单) and its receipts (INV201/INV202).

Reading is hardened and streaming:

* a file is one XML message or a zip of many; zip members are read one at a time (never the whole
  archive in memory), a member whose path is absolute or climbs out (``../x.xml``) refuses the whole
  file, and so does a member that expands beyond ``CUSTOMS_MAX_MEMBER_BYTES`` or a ratio of
  ``IMPORT_MAX_UNCOMPRESSED_RATIO``;
* XML is parsed by lxml's ``iterparse`` with ``resolve_entities=False``, ``no_network=True``,
  ``load_dtd=False`` and ``huge_tree=False``, and a document type declaration (``<!DOCTYPE``,
  where entity bombs live) refuses the message before parsing;
* UTF-8 and GB18030 (GBK) are read as the XML declaration says (the clients write both);
* element names are compared without namespace and with the first letter in lower case, so
  ``BondInvtNo`` (INV101 as the clients write it) and ``bondInvtNo`` (receipts) are the same field.

A message is a ``Message`` (type, header dict, lines, where it came from) or a ``BadMessage``
(where, reason); the callers turn those into import rows and errors.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

INV101 = "INV101"
RECEIPT_TYPES = ("INV201", "INV202")
XML_EXTENSIONS = (".xml", ".zip")

# The head and line elements of INV101 (as the clients write them) and of the receipts.
HEAD_TAGS = {"invtHeadType", "bondInvtBsc"}
LIST_TAGS = {"invtListType", "bondInvtDt", "bondInvtDtl"}
RESULT_TAGS = {"hdeApprResult"}
ENVELOPE_TYPE = "message_type"
ENVELOPE_ID = "message_id"
ENVELOPE_TIME = "send_time"
PROLOG_BYTES = 64 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.-]+)["']""")
ALLOWED_ENCODINGS = {"utf-8", "utf8", "gb18030", "gbk", "gb2312"}

# Business elements that name another message type when they are the first thing met.
OTHER_TYPES = {
    "sasPassportHead": "SAS121",
    "passportHead": "SAS121",
    "sas121": "SAS121",
    "sasDclHead": "SAS101",
    "emsPutrecHead": "EMS101",
    "bwsHead": "BWS101",
    "decHead": "DEC",
}


_NORMAL: dict[str, str] = {}


def normal(tag: str) -> str:
    """``{ns}BondInvtNo`` → ``bondInvtNo`` (memoised: a message repeats a few dozen names)."""
    out = _NORMAL.get(tag)
    if out is None:
        local = tag.rsplit("}", 1)[-1]
        out = local[:1].lower() + local[1:] if local else local
        if len(_NORMAL) < 10_000:
            _NORMAL[tag] = out
    return out


@dataclass
class Message:
    source: str  # file name (member of the zip) the message came from
    ordinal: int  # position in the file, 1-based
    type: str = ""
    message_id: str = ""
    send_time: str = ""
    head: dict[str, str] = field(default_factory=dict)
    result: dict[str, str] = field(default_factory=dict)  # HdeApprResult of a receipt
    lines: list[dict[str, str]] = field(default_factory=list)
    # what the importer's ``prepare`` derived from the message in the parse process (``read_messages``)
    prepared: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        inner = self.head.get("etpsInnerInvtNo") or self.head.get("bondInvtNo") or ""
        return f"{self.source} ({inner})" if inner else self.source


@dataclass
class BadMessage:
    source: str
    ordinal: int
    element: str
    reason: str


class FileRefused(Exception):
    """The file as a whole is refused (nothing of it is read)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _limits() -> tuple[int, int]:
    member = int(getattr(settings, "CUSTOMS_MAX_MEMBER_BYTES", 64 * 1024 * 1024))
    ratio = int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_RATIO", 100))
    return member, ratio


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return ".." in parts


def members(path: Path, filename: str) -> Iterator[tuple[str, io.BufferedIOBase | None, int | Directory]]:
    """``(name, stream, size)`` of each XML document of the file, one at a time.  A zip is checked
    whole (names, sizes, ratios) before its first member is opened.  A zip of ``PARALLEL_FROM``
    stored or deflated members or more, none larger than ``WHOLE_PARSE_BYTES``, when processes can
    parse it, yields once ``("", None, Directory)`` instead: ``read_messages`` hands the entries to
    its worker processes.  The directory of a zip of ``SCAN_APART_BYTES`` or more is read and checked
    in a forked process (``_scan``), which hands back only the compact ``Directory``: the archive's
    own directory (≈ 0.6 KB a member in ``zipfile``: 270 MB for 430,000 members) never lives here."""
    ext = Path(filename).suffix.lower()
    if ext == ".zip" or zipfile.is_zipfile(path):
        if parallel_workers() > 0 and path.stat().st_size >= SCAN_APART_BYTES:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(1) as pool:
                outcome, value = pool.apply(_scan, (str(path),))
            if outcome == "refused":
                raise FileRefused(value)
            if outcome == "parallel":
                yield "", None, value
                return
        with _open_zip(path) as zf:
            xml = _checked_xml(zf)
            if _parallel_ok(xml):
                # many members: ``read_messages`` parses them in processes, which read each member
                # from the archive by its directory entry (handed over instead of a stream)
                yield "", None, Directory.of(xml)
                return
            for info in xml:
                with zf.open(info) as fh:
                    yield info.filename, fh, info.file_size
        return
    with open(path, "rb") as fh:
        yield filename, fh, path.stat().st_size


# A zip this large has its directory read in a forked process (``members``).
SCAN_APART_BYTES = 16 * 1024 * 1024


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise FileRefused(_("The file is not a valid zip archive.")) from None


def _checked_xml(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The XML members of the archive in name order, after checking every member's name, size and
    ratio (a path outside the archive or a member that expands too far refuses the file)."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    member_limit, ratio_limit = _limits()
    for info in infos:
        if _unsafe_name(info.filename):
            raise FileRefused(
                _("The zip holds the path “%(name)s”, which points outside the archive; the file is refused.")
                % {"name": info.filename}
            )
        ratio = info.file_size / (info.compress_size or 1)
        if info.file_size > member_limit or (info.file_size > 1024 * 1024 and ratio > ratio_limit):
            raise FileRefused(
                _("The zip member “%(name)s” expands to %(size)d bytes; this is refused as unsafe.")
                % {"name": info.filename, "size": info.file_size}
            )
    return [i for i in sorted(infos, key=lambda i: i.filename) if i.filename.lower().endswith(".xml")]


def _parallel_ok(xml: list[zipfile.ZipInfo]) -> bool:
    return (
        len(xml) >= PARALLEL_FROM
        and parallel_workers() > 0
        and all(i.compress_type in _PLAIN and not i.flag_bits & 1 and i.file_size <= WHOLE_PARSE_BYTES for i in xml)
    )


def _scan(path: str) -> tuple[str, str | Directory | None]:
    """``members``' check of a large zip, in a forked process: ("refused", reason), ("parallel",
    its Directory) or ("serial", None: ``members`` reads it here)."""
    try:
        with _open_zip(Path(path)) as zf:
            xml = _checked_xml(zf)
            return ("parallel", Directory.of(xml)) if _parallel_ok(xml) else ("serial", None)
    except FileRefused as exc:
        return "refused", exc.reason


class Directory(Sequence):
    """The XML members of a zip as the parse processes need them: a sequence of ``(name, header
    offset, compressed size, method, size, CRC)``, held as the names' UTF-8 in one ``bytes``, where
    each starts, and one integer array (≈ 80 bytes a member, against ≈ 600 for ``zipfile``'s
    entries; no object per member, so it crosses from the process that read it in a few buffers)."""

    def __init__(self, names: bytes, starts, numbers):
        self.names, self.starts, self.numbers = names, starts, numbers

    @classmethod
    def of(cls, infos: list[zipfile.ZipInfo]) -> Directory:
        import numpy as np

        encoded = [i.filename.encode("utf-8", "surrogatepass") for i in infos]
        starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=starts[1:])
        numbers = np.array(
            [(i.header_offset, i.compress_size, i.compress_type, i.file_size, i.CRC) for i in infos],
            dtype=np.int64,
        ).reshape(len(infos), 5)
        return cls(b"".join(encoded), starts, numbers)

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        if not -len(self) <= k < len(self):
            raise IndexError(k)
        k %= len(self)
        a, b = self.starts[k : k + 2].tolist()
        return (self.names[a:b].decode("utf-8", "surrogatepass"), *self.numbers[k].tolist())

    def sizes(self) -> list[int]:
        return self.numbers[:, 3].tolist()


def _check_prolog(stream) -> bytes:
    """The first bytes of a document: refuse a DTD (entity expansion) or an encoding we do not read."""
    head = stream.read(PROLOG_BYTES)
    if _DOCTYPE.search(head):
        raise ValueError(
            _(
                "The message declares a document type or entities (<!DOCTYPE>/<!ENTITY>); this is refused as unsafe."
            )
        )
    m = _ENCODING.search(head[:200])
    if m:
        name = m.group(1).decode("ascii").lower()
        if name not in ALLOWED_ENCODINGS:
            raise ValueError(
                _("The message is encoded in %(enc)s; only UTF-8 and GB18030 are read.") % {"enc": name}
            )
        if name in ("gbk", "gb2312"):
            try:
                codecs.lookup("gb18030")
            except LookupError:  # pragma: no cover
                pass
    return head


class _Chain(io.RawIOBase):
    """The already-read head followed by the rest of the stream (iterparse reads a file object)."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self):
        return True

    def readinto(self, b):
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def _text(el) -> str:
    return (el.text or "").strip()


# A member up to this size is parsed whole (one C call builds its tree, then the lines are read
# off it); a larger one is streamed by ``iterparse`` keeping one line in the tree.  Either way the
# memory is bounded by this size (a tree is ~5–10× its text), not by the archive.
WHOLE_PARSE_BYTES = 8 * 1024 * 1024

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)


def _wildcard(names) -> tuple[str, ...]:
    """``{*}Name`` and ``{*}name`` of each (the clients write both cases, any namespace)."""
    out = []
    for n in names:
        out += [f"{{*}}{n[:1].upper()}{n[1:]}", f"{{*}}{n}"]
    return tuple(out)


_HEAD_ITER = _wildcard(HEAD_TAGS)
_LIST_ITER = _wildcard(LIST_TAGS)
_RESULT_ITER = _wildcard(RESULT_TAGS)
_FIRST_ITER = _wildcard((*HEAD_TAGS, *OTHER_TYPES))
_ENVELOPE_ITER = tuple(f"{{*}}{n}" for n in (ENVELOPE_TYPE, ENVELOPE_ID, ENVELOPE_TIME))


def _children(el) -> dict[str, str]:
    """The child elements of a head or line as ``{normal name: stripped text}``."""
    norm = _NORMAL.get
    out = {}
    for c in el:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        text = c.text
        out[norm(tag) or normal(tag)] = text.strip() if text else ""
    return out


def _from_tree(msg: Message, root) -> str:
    """Fill ``msg`` from a whole parsed document; returns the first business element's name."""
    for el in root.iter(*_ENVELOPE_ITER):
        tag = normal(el.tag)
        if tag == ENVELOPE_TYPE:
            msg.type = _text(el).upper()
        elif tag == ENVELOPE_ID:
            msg.message_id = _text(el)
        elif tag == ENVELOPE_TIME:
            msg.send_time = _text(el)
    first = ""
    for el in root.iter(*_FIRST_ITER):
        first = normal(el.tag)
        break
    for el in root.iter(*_HEAD_ITER):
        msg.head = _children(el)
    for el in root.iter(*_RESULT_ITER):
        msg.result = _children(el)
    msg.lines = [_children(el) for el in root.iter(*_LIST_ITER)]
    return first


def _streamed(msg: Message, stream) -> str:
    """Fill ``msg`` by ``iterparse`` (end events only; each line is read and dropped from the tree,
    so a message of any length keeps one line in memory); returns the first business element."""
    first_business = ""
    for _event, el in etree.iterparse(stream, events=("end",), **_PARSER_OPTIONS):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        tag = normal(tag)
        if tag in LIST_TAGS:
            msg.lines.append(_children(el))
            el.clear()
            # drop the emptied earlier lines too: memory stays flat however long the message
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
        elif tag in HEAD_TAGS:
            msg.head = _children(el)
            first_business = first_business or tag
            el.clear()
        elif tag in RESULT_TAGS:
            msg.result = _children(el)
            el.clear()
        elif tag in OTHER_TYPES:
            first_business = first_business or tag
        elif tag == ENVELOPE_TYPE:
            msg.type = _text(el).upper()
        elif tag == ENVELOPE_ID:
            msg.message_id = _text(el)
        elif tag == ENVELOPE_TIME:
            msg.send_time = _text(el)
    return first_business


def parse_stream(source: str, ordinal: int, stream, size: int | None = None) -> Message | BadMessage:
    """One XML document → a Message (of any type; the caller checks the type) or a BadMessage.
    ``size``: the document's length when known; up to ``WHOLE_PARSE_BYTES`` it is parsed whole."""
    try:
        head = _check_prolog(stream)
    except ValueError as exc:
        return BadMessage(source, ordinal, "", str(exc))
    msg = Message(source=source, ordinal=ordinal)
    try:
        if size is not None and size <= WHOLE_PARSE_BYTES:
            data = head + stream.read(WHOLE_PARSE_BYTES + 1 - len(head))
            if len(data) > WHOLE_PARSE_BYTES:  # the size lied: stream the rest
                first_business = _streamed(msg, io.BufferedReader(_Chain(data, stream)))
            else:
                first_business = _from_tree(msg, etree.fromstring(data, _parser()))
        else:
            first_business = _streamed(msg, io.BufferedReader(_Chain(head, stream)))
    except etree.XMLSyntaxError as exc:
        return BadMessage(
            source, ordinal, "", _("The XML is malformed: %(error)s") % {"error": exc.msg or str(exc)}
        )
    except (LookupError, UnicodeError) as exc:
        return BadMessage(source, ordinal, "", _("The XML could not be decoded: %(error)s") % {"error": exc})
    if not msg.type:
        if first_business in OTHER_TYPES:
            msg.type = OTHER_TYPES[first_business]
        elif msg.result:
            msg.type = "INV201"
        elif msg.head:
            msg.type = INV101
    return msg


def read_messages(
    path: Path, filename: str, prepare: Callable | None = None, workers: int | None = None
) -> Iterator[Message | BadMessage]:
    """Every message of the file, in order (zip members by name); raises FileRefused.

    ``prepare(message)``: run on each parsed message before it is yielded (a module-level function:
    the import's own per-message work, e.g. its content hash).  A zip of ``PARALLEL_FROM`` members or
    more is read by ``workers`` processes (``parallel_workers()`` by default; 0 reads here): each
    opens the archive itself, parses a run of members (``PARALLEL_CHUNK`` and ``PARALLEL_RUN_BYTES``
    at most) and prepares them, and the messages come back in order, at most ``PARALLEL_AHEAD`` runs
    per process ahead of the caller (the memory stays bounded however large the archive)."""
    if Path(filename).suffix.lower() not in XML_EXTENSIONS:
        raise FileRefused(
            _("Unsupported file type “%(ext)s”; send an .xml message or a .zip of messages.")
            % {"ext": Path(filename).suffix or "?"}
        )
    workers = parallel_workers() if workers is None else workers
    ordinal = 0
    source = members(path, filename)
    for name, stream, size in source:
        if stream is None:  # ``members`` hands over a large zip's directory entries: read in processes
            source.close()  # (the archive's own directory is no longer held)
            yield from _read_parallel(path, size, prepare, workers)
            ordinal = len(size)
            break
        ordinal += 1
        msg = parse_stream(name, ordinal, stream, size)
        if prepare is not None and isinstance(msg, Message):
            prepare(msg)
        yield msg
    if ordinal == 0:
        raise FileRefused(_("The file holds no XML message."))


_PLAIN = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Zips of this many members or more are parsed by worker processes (``read_messages``).
PARALLEL_FROM = 200
PARALLEL_CHUNK = 100  # members per task at most
PARALLEL_RUN_BYTES = 4 * 1024 * 1024  # and at most this much XML per task (one member at least)
PARALLEL_AHEAD = 4  # tasks in flight per worker at most: ≤ workers × 4 × 4 MB of XML being parsed or waiting


def parallel_workers() -> int:
    """Processes that parse a large zip while the importing process writes: ``CUSTOMS_PARSE_WORKERS``,
    else the machine's cores (at most 4); 0 (parse in the importing process) where processes cannot
    be forked."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    configured = getattr(settings, "CUSTOMS_PARSE_WORKERS", None)
    return max(0, int(configured) if configured is not None else min(4, os.cpu_count() or 1))


_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # a zip member's local file header (30 bytes)


def _member_bytes(fh, member: tuple) -> bytes:
    """The content of one zip member read straight from the archive (``fh``) by its central
    directory entry ``member`` = (name, header offset, compressed size, method, size, CRC):
    stored or deflated, never expanded past ``size`` (already checked against the limits), its
    CRC checked."""
    _name, offset, csize, method, size, crc = member
    fh.seek(offset)
    head = _LOCAL_HEADER.unpack(fh.read(_LOCAL_HEADER.size))
    if head[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fh.seek(offset + _LOCAL_HEADER.size + head[9] + head[10])
    data = fh.read(csize)
    if method == zipfile.ZIP_DEFLATED:
        z = zlib.decompressobj(-15)
        data = z.decompress(data, size + 1)
    if len(data) != size or zlib.crc32(data) != crc:
        raise zipfile.BadZipFile("the member's size or CRC does not match the directory")
    return data


def _parse_run(path: str, run: list[tuple], first: int, prepare: Callable | None) -> list:
    """A worker's task: parse (and prepare) the zip members ``run`` of the archive at ``path``."""
    out = []
    with open(path, "rb") as fh:
        for k, member in enumerate(run):
            try:
                data = _member_bytes(fh, member)
            except (zipfile.BadZipFile, zlib.error, struct.error) as exc:
                out.append(BadMessage(member[0], first + k, "", _("The zip member is damaged: %(e)s") % {"e": exc}))
                continue
            msg = parse_stream(member[0], first + k, io.BytesIO(data), len(data))
            if prepare is not None and isinstance(msg, Message):
                prepare(msg)
            out.append(msg)
    return out


def _read_parallel(path: Path, run: list[tuple], prepare: Callable | None, workers: int):
    """The messages of the zip members ``run`` (checked by ``members``), parsed by ``workers``
    forked processes, in order."""
    import collections
    import multiprocessing

    sizes = run.sizes() if isinstance(run, Directory) else [m[4] for m in run]
    starts: list[int] = []  # the index of each run's first member (a run ends where the next starts)
    size = 0
    for k, member_size in enumerate(sizes):
        if not starts or k - starts[-1] >= PARALLEL_CHUNK or size + member_size > PARALLEL_RUN_BYTES:
            starts.append(k)
            size = 0
        size += member_size
    del sizes
    # each run's entries made when it is handed out (a Directory holds them compactly till then)
    runs = ((a, run[a:b]) for a, b in zip(starts, [*starts[1:], len(run)], strict=True))
    if workers <= 0:
        for k, part in runs:
            yield from _parse_run(str(path), part, k + 1, prepare)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: collections.deque = collections.deque()
        todo = runs

        def submit(k: int, part: list) -> None:
            pending.append(pool.apply_async(_parse_run, (str(path), part, k + 1, prepare)))

        for k, part in todo:
            submit(k, part)
            if len(pending) >= workers * PARALLEL_AHEAD:
                break
        while pending:
            done = pending.popleft().get()
            nxt = next(todo, None)
            if nxt is not None:
                submit(*nxt)
            yield from done


# -- writing --------------------------------------------------------------------------------------

HEAD_ORDER = (
    "SeqNo",
    "BondInvtNo",
    "ChgTmsCnt",
    "PutrecNo",
    "EtpsInnerInvtNo",
    "BizopEtpsSccd",
    "BizopEtpsno",
    "BizopEtpsNm",
    "RvsngdEtpsSccd",
    "RcvgdEtpsno",
    "RcvgdEtpsNm",
    "DclEtpsSccd",
    "DclEtpsno",
    "DclEtpsNm",
    "InvtDclTime",
    "EntryNo",
    "ImpexpMarkcd",
    "MtpckEndprdMarkcd",
    "SupvModecd",
    "DclPlcCuscd",
    "DclcusFlag",
    "DclcusTypecd",
    "InvtType",
    "ListType",
    "DclTypecd",
    "Rmk",
)
LINE_ORDER = (
    "GdsSeqno",
    "PutrecSeqno",
    "GdsMtno",
    "Gdecd",
    "GdsNm",
    "DclUnitcd",
    "DclQty",
    "LawfUnitcd",
    "LawfQty",
    "SecdLawfUnitcd",
    "SecdLawfQty",
    "DclUprcAmt",
    "DclTotalAmt",
    "DclCurrcd",
    "Natcd",
    "DestinationNatcd",
    "UcnsVerno",
    "ModfMarkcd",
)


def _elements(values: dict[str, str], order: tuple[str, ...], indent: str) -> str:
    out = []
    for name in order:
        key = name[:1].lower() + name[1:]
        value = values.get(key)
        if value is None or value == "":
            continue
        out.append(f"{indent}<{name}>{escape(str(value))}</{name}>")
    return "\n".join(out)


def write_inv101(
    head: dict[str, str], lines: list[dict[str, str]], *, message_id: str, send_time: str
) -> bytes:
    """An INV101 message (UTF-8) in the envelope the customs clients import."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<Signature>",
        "  <Object>",
        "    <Package>",
        "      <EnvelopInfo>",
        "        <version>1.0</version>",
        f"        <message_id>{escape(message_id)}</message_id>",
        f"        <message_type>{INV101}</message_type>",
        f"        <send_time>{escape(send_time)}</send_time>",
        "      </EnvelopInfo>",
        "      <DataInfo>",
        "        <BussinessData>",
        "          <DelcareFlag>0</DelcareFlag>",
        "          <InvtMessage>",
        "            <InvtHeadType>",
        _elements(head, HEAD_ORDER, "              "),
        "            </InvtHeadType>",
    ]
    for line in lines:
        parts += [
            "            <InvtListType>",
            _elements(line, LINE_ORDER, "              "),
            "            </InvtListType>",
        ]
    parts += [
        "          </InvtMessage>",
        "        </BussinessData>",
        "      </DataInfo>",
        "    </Package>",
        "  </Object>",
        "</Signature>",
        "",
    ]
    return "\n".join(p for p in parts if p != "").encode("utf-8") + b"\n"


def write_receipt(
    result: dict[str, str],
    head: dict[str, str],
    *,
    message_id: str,
    send_time: str,
    message_type: str = "INV201",
) -> bytes:
    """A receipt in the customs envelope (used by the demo, the tests and the benchmark)."""

    def block(name: str, values: dict[str, str]) -> str:
        inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in values.items())
        return f"<{name}>{inner}</{name}>"

    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Package xmlns="http://www.w3.org/2000/09/xmldsig#"><EnvelopInfo><version>1.0</version>'
        f"<message_id>{escape(message_id)}</message_id><message_type>{message_type}</message_type>"
        f"<send_time>{escape(send_time)}</send_time></EnvelopInfo><DataInfo><BussinessData>"
        f"<{message_type}>{block('HdeApprResult', result)}{block('BondInvtBsc', head)}</{message_type}>"
        "</BussinessData></DataInfo></Package>"
    ).encode()
