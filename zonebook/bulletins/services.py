"""Bulletin service functions: every write of the bulletins app, audited in the same transaction.

* ``review_state(entity, period)``: whether the period's data is reviewed (see docs/bulletins.md);
* ``render_files(doc, draft=…)``: the .docx and PDF bytes, a draft watermarked on every page;
* ``build(entity, period, by=…)``: a new version of the bulletin (files stored, 文号 issued once per
  bulletin); data not yet reviewed gives a watermarked draft or is refused (``BULLETIN_UNREVIEWED``);
* ``publish(version, by=…)``: the publication record, audited and notified.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zonebook.audit import services as audit
from zonebook.core.permissions import has_role, may_write
from zonebook.documents import render as R
from zonebook.documents.numbering import next_number, peek
from zonebook.stats.models import OFFICIAL, Entity, Observation, ReportPeriod, Submission, SubmissionStatus

from .build import BulletinError, Period, build_document, gather, members_of, parse_period
from .models import Bulletin, BulletinVersion

AREA = "stats"
OFFICE_ROLES = ("system_admin", "province_commerce", "city_commerce", "zone_staff", "zone_leader")
DRAFT, REFUSE = "draft", "refuse"
WATERMARK = "草稿"
WATERMARK_LINE = "草稿　数据未经审核　不得引用"

__all__ = ["BulletinError", "Period", "parse_period", "review_state", "render_files", "build", "publish"]


def unreviewed_rule() -> str:
    """``settings.BULLETIN_UNREVIEWED``: "draft" (default: a watermarked draft) or "refuse"."""
    rule = getattr(settings, "BULLETIN_UNREVIEWED", DRAFT)
    return rule if rule in (DRAFT, REFUSE) else DRAFT


def may_build(user) -> bool:
    return has_role(user, *OFFICE_ROLES) and may_write(user, AREA)


def scopes_for(user):
    """The entities (province, city or zone of the registry) whose bulletins ``user`` may build."""
    qs = Entity.objects.filter(Q(level__in=("province", "city")) | Q(level="zone", zone__isnull=False))
    if not may_build(user):
        return qs.none()
    level = getattr(user, "scope_level", None)
    if user.is_superuser or level == "all":
        return qs
    if level == "province":
        return qs.filter(province_code=user.province_code)
    if level == "city":
        return qs.filter(city_code=user.city_code, level__in=("city", "zone"))
    if level == "zone":
        return qs.filter(zone_id=user.zone_id)
    return qs.none()


def scope_entity(code: str) -> Entity:
    e = Entity.objects.filter(code=code, level__in=("province", "city", "zone")).first()
    if e is None:
        raise BulletinError(_("No province, city or zone with the statistics code %(code)s.") % {"code": code})
    return e


# --- review -------------------------------------------------------------------------------------------------


def review_state(entity: Entity, period: Period) -> tuple[bool, str]:
    """``(reviewed, note)``.  A month with a reporting round of the zones' monthly return is reviewed
    when every registry zone of the scope has an *accepted* return; a month without a round (customs
    statistics imported, historic data) when the scope has official values for it.  The note names the
    month and the zones still waiting (in Chinese: it is printed on a draft)."""
    zones = entity and (members_of(entity).filter(zone__isnull=False) if entity.level != "zone"
                        else Entity.objects.filter(pk=entity.pk))
    zone_ids = dict(zones.values_list("pk", "name"))
    months = [dt.date(ym // 12, ym % 12 + 1, 1) for ym in period.months]
    rounds = dict(ReportPeriod.objects.filter(form__active=True, form__level="zone", period__in=months)
                  .values_list("period", "pk"))
    accepted = set(Submission.objects.filter(report_period_id__in=list(rounds.values()), entity_id__in=list(zone_ids),
                                             status=SubmissionStatus.ACCEPTED)
                   .values_list("report_period_id", "entity_id"))
    official = set(Observation.objects.filter(entity_id__in=[entity.pk, *zone_ids], ym__in=period.months,
                                              provenance__in=OFFICIAL).values_list("ym", flat=True).distinct())
    problems = []
    for m in months:
        rp = rounds.get(m)
        if rp is None:
            if m.year * 12 + m.month - 1 not in official:
                problems.append(f"{m.year}年{m.month}月无数据")
            continue
        waiting = [name for pk, name in zone_ids.items() if (rp, pk) not in accepted]
        if waiting:
            names = "、".join(sorted(waiting)[:3]) + ("等" if len(waiting) > 3 else "")
            count = f"{len(waiting)}个园区" if len(waiting) > 1 else ""
            problems.append(f"{m.year}年{m.month}月{names}{count}月报尚未审核通过")
    return (not problems, "；".join(problems))


# --- files --------------------------------------------------------------------------------------------------


def _watermark_pdf(prep) -> bytes:
    """The PDF of ``prep`` with 草稿 across every page (a fixed element repeats on each page)."""
    import weasyprint

    from zonebook.documents.pdf_writer import html

    mark = (
        '<div style="position: fixed; top: 95mm; left: -20mm; width: 200mm; text-align: center; '
        'transform: rotate(-35deg); font-family: \'Noto Sans CJK SC\', sans-serif; font-size: 96pt; '
        f'font-weight: bold; color: rgba(192, 0, 0, 0.16); letter-spacing: 30pt;">{WATERMARK}</div>'
        '<div style="position: fixed; top: -12mm; left: 0; width: 100%; text-align: center; '
        "font-family: 'Noto Sans CJK SC', sans-serif; font-size: 10.5pt; color: #c00000;\">"
        f"{WATERMARK_LINE}</div>"
    )
    text = html(prep)
    text = text.replace("</body>", mark + "</body>", 1) if "</body>" in text else text + mark
    return weasyprint.HTML(string=text).render().write_pdf()


def _watermark_docx(data: bytes) -> bytes:
    """The .docx with a header line and a large pale 草稿 in every section's header (Word draws
    header content behind the text of each page)."""
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Pt, RGBColor

    d = Docx(io.BytesIO(data))
    shape = (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<w:pict><v:shape id="zbWatermark" o:spt="136" type="#_x0000_t136" '
        'style="position:absolute;margin-left:0;margin-top:0;width:415pt;height:140pt;rotation:315;'
        'z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
        'mso-position-vertical:center;mso-position-vertical-relative:margin" fillcolor="#f2c4c4" stroked="f">'
        f'<v:textpath style="font-family:&quot;SimHei&quot;;font-size:1pt" string="{WATERMARK}"/>'
        "</v:shape></w:pict></w:r>"
    )
    for section in d.sections:
        header = section.header
        header.is_linked_to_previous = False
        par = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = par.add_run(WATERMARK_LINE)
        run.font.size = Pt(10.5)
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
        par._p.append(parse_xml(shape))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def render_files(doc, *, draft: bool = False, formats=("docx", "pdf")) -> dict[str, bytes]:
    """``{"docx": bytes, "pdf": bytes}`` from one preparation (charts drawn once); a draft carries the
    watermark on every page of both."""
    prep = R.prepare(doc)
    out = {}
    for fmt in formats:
        if not draft:
            out[fmt] = R.render_prepared(prep, fmt)
        else:
            out[fmt] = _watermark_docx(R.render_prepared(prep, "docx")) if fmt == "docx" else _watermark_pdf(prep)
    return out


def prepare_document(entity: Entity, period: Period, *, number: str = "", date: dt.date | None = None,
                     rule: str | None = None) -> tuple[object, bool, str]:
    """``(document, reviewed, note)``; refuses unreviewed data when the rule says so."""
    reviewed, note = review_state(entity, period)
    if not reviewed and (rule or unreviewed_rule()) == REFUSE:
        raise BulletinError(_("The data of %(period)s is not yet reviewed (%(note)s): the bulletin is refused "
                              "until it is (setting BULLETIN_UNREVIEWED = \"refuse\").")
                            % {"period": period.key, "note": note})
    doc = build_document(entity, period, data=gather(entity, period), number=number, date=date,
                         draft_note="" if reviewed else note)
    return doc, reviewed, note


def office_key(entity: Entity) -> str:
    """Each scope numbers its own bulletins (the province, each city, each zone office)."""
    return f"bulletin:{entity.code}"


def series_of(period: Period) -> str:
    from zonebook.documents.models import DocumentTemplate

    return (DocumentTemplate.objects.filter(kind=f"bulletin.{period.frequency}", active=True)
            .values_list("series", flat=True).first() or "")


def preview_number(entity: Entity, period: Period) -> str:
    series = series_of(period)
    return peek(office_key(entity), series, period.year) if series else ""


def build(entity: Entity, period: Period, *, by=None, today: dt.date | None = None,
          rule: str | None = None) -> BulletinVersion:
    """A new version of the bulletin of ``entity`` for ``period`` (the bulletin is created at its first
    build and issued its 文号 then; later versions keep the number).  ``by=None``: the scheduler."""
    if by is not None and not scopes_for(by).filter(pk=entity.pk).exists():
        if not Entity.objects.filter(pk=entity.pk).exists():
            raise Http404(_("Not found."))
        raise PermissionDenied(_("Your role may not build bulletins of this scope."))
    today = today or timezone.localdate()
    with transaction.atomic():
        bulletin = (Bulletin.objects.select_for_update()
                    .filter(entity=entity, frequency=period.frequency, period=period.date).first())
        number = bulletin.number if bulletin else ""
        if not number:
            series = series_of(period)
            number = next_number(office_key(entity), series, period.year, by=by, title=period.text) if series else ""
        doc, reviewed, note = prepare_document(entity, period, number=number, date=today, rule=rule)
        files = render_files(doc, draft=not reviewed)
        if bulletin is None:
            bulletin = audit.create(Bulletin, dict(entity=entity, frequency=period.frequency, period=period.date,
                                                   title=doc.title, number=number, created_by=by),
                                    by=by, code="bulletins.bulletin.created")
        elif bulletin.title != doc.title or bulletin.number != number:
            audit.update(bulletin, {"title": doc.title, "number": number}, by=by, code="bulletins.bulletin.updated")
        n = (bulletin.versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        base = f"{period.key}-{entity.code}-v{n}"
        version = BulletinVersion(bulletin=bulletin, version=n, reviewed=reviewed, draft=not reviewed,
                                  review_note=note[:300], built_by=by,
                                  docx_size=len(files["docx"]), pdf_size=len(files["pdf"]))
        version.docx.save(f"{base}.docx", ContentFile(files["docx"]), save=False)
        version.pdf.save(f"{base}.pdf", ContentFile(files["pdf"]), save=False)
        version.save()
        audit.record(version, code="bulletins.version.built", by=by, action="create",
                     changes={"version": [None, n], "draft": [None, not reviewed]},
                     message=f"{bulletin.title} v{n}" + (f"（{note}）" if note else ""))
    return version


def recipients(bulletin: Bulletin):
    """Who is told of a publication: the office users of the province, of the bulletin's city (every
    city for a province bulletin) and of its zone."""
    from zonebook.accounts.models import User

    e = bulletin.entity
    q = Q(scope_level="province", province_code=e.province_code)
    if e.level == "province":
        q |= Q(scope_level="city", province_code=e.province_code)
    elif e.city_code:
        q |= Q(scope_level="city", city_code=e.city_code)
    if e.zone_id:
        q |= Q(scope_level="zone", zone_id=e.zone_id)
    return User.objects.filter(q, is_active=True, role__in=OFFICE_ROLES)


def publish(version: BulletinVersion, *, by) -> BulletinVersion:
    """Publish ``version``: refused for a draft (data not reviewed) and for users who may not build the
    scope's bulletins; an earlier published version stays on record and downloadable."""
    from zonebook.notify.services import notify

    bulletin = version.bulletin
    if not Bulletin.objects.for_user(by).filter(pk=bulletin.pk).exists():
        raise Http404(_("Not found."))
    if not scopes_for(by).filter(pk=bulletin.entity_id).exists():
        raise PermissionDenied(_("Your role may not publish bulletins of this scope."))
    if version.draft:
        raise BulletinError(_("Version %(n)s is a draft built before the data was reviewed: build a new version "
                              "once the data is reviewed, then publish it.") % {"n": version.version})
    if version.published_at is not None:
        raise BulletinError(_("Version %(n)s is already published.") % {"n": version.version})
    now = timezone.now()
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().select_related("entity").get(pk=bulletin.pk)
        before = (BulletinVersion.objects.filter(pk=bulletin.published_version_id).values_list("version", flat=True)
                  .first())
        version.published_at, version.published_by = now, by
        version.save(update_fields=["published_at", "published_by"])
        bulletin.published_version, bulletin.published_at = version, now
        bulletin.save(update_fields=["published_version", "published_at"])
        audit.record(bulletin, code="bulletins.bulletin.published", by=by, action="update",
                     changes={"published_version": [before, version.version]},
                     message=f"{bulletin.number} {bulletin.title} v{version.version}".strip())
        notify(recipients(bulletin), "bulletins.published",
               {"title": bulletin.title, "number": bulletin.number or "—", "version": version.version},
               obj=bulletin, dedupe_key=f"bulletins.published:{version.pk}", by=by)
    return version
