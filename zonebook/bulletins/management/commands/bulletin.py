"""``manage.py bulletin build --scope CODE --period YYYY-MM|YYYY-Qn [--quarterly] --out FILE [--save]``

Builds the bulletin (通报) of a statistical entity (the province ``P510000``, a city, a zone) for a
month or a quarter and writes it to FILE — .docx or .pdf by the extension — without the UI, so a
schedule or a person can check it.  ``--save`` also stores it as a new version of the bulletin (the
文号 is then issued; without it the next number is only previewed).  Data not yet reviewed gives a
watermarked draft or is refused, as ``BULLETIN_UNREVIEWED`` says (``--refuse-unreviewed`` forces
refusal).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zonebook.bulletins import services
from zonebook.bulletins.build import BulletinError, parse_period


class Command(BaseCommand):
    help = "Build a bulletin (通报) as .docx or PDF: bulletin build --scope CODE --period YYYY-MM --out FILE"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        b = sub.add_parser("build", help="build one bulletin")
        b.add_argument("--scope", required=True, help="statistics code of the province, city or zone (e.g. P510000)")
        b.add_argument("--period", required=True, help="YYYY-MM, or YYYY-Qn for a quarter")
        b.add_argument("--quarterly", action="store_true", help="the quarter ending in the month given")
        b.add_argument("--out", required=True, help="output file: .docx or .pdf")
        b.add_argument("--save", action="store_true", help="store it as a new version (issues the 文号)")
        b.add_argument("--refuse-unreviewed", action="store_true", help="refuse data not yet reviewed")

    def handle(self, *args, **o):
        out = Path(o["out"])
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("docx", "pdf"):
            raise CommandError("--out must end in .docx or .pdf")
        rule = services.REFUSE if o["refuse_unreviewed"] else None
        try:
            period = parse_period(o["period"], quarterly=o["quarterly"])
            entity = services.scope_entity(o["scope"])
            if o["save"]:
                version = services.build(entity, period, by=None, rule=rule)
                with (version.docx if fmt == "docx" else version.pdf).open("rb") as fh:
                    data = fh.read()
                draft, note, title = version.draft, version.review_note, version.bulletin.title
            else:
                doc, reviewed, note = services.prepare_document(
                    entity, period, number=services.preview_number(entity, period), rule=rule)
                data = services.render_files(doc, draft=not reviewed, formats=(fmt,))[fmt]
                draft, title = not reviewed, doc.title
        except BulletinError as exc:
            raise CommandError(str(exc)) from None
        out.write_bytes(data)
        self.stdout.write(f"{out}: {title}, {len(data):,} bytes" + (f" — DRAFT ({note})" if draft else ""))
