"""Demo bulletins (``load(stdout)``, after the statistics demo): the province's monthly bulletin for
the latest month whose data is reviewed (2026-09: customs statistics, no return round) built and
published by the province user, and the latest month (2026-10, whose returns are still under review
in the stats demo) built as a watermarked draft.  Idempotent: skipped when the province has bulletins."""

from __future__ import annotations

import datetime as dt

from .build import BulletinError, Period
from .models import Bulletin, Frequency


def present() -> bool:
    return Bulletin.objects.exists()


def load(stdout) -> None:
    from zonebook.accounts.models import User
    from zonebook.stats.models import Entity

    from . import services

    province = Entity.objects.filter(code="P510000", level="province").first()
    if province is None:
        stdout.write("bulletins: no demo province statistics, skipped")
        return
    if Bulletin.objects.filter(entity=province).exists():
        stdout.write("bulletins: demo bulletins present, skipped")
        return
    by = User.objects.filter(username="sichuan").first()
    today = dt.date(2026, 11, 20)
    try:
        v = services.build(province, Period(Frequency.MONTH, 2026, 9), by=by, today=today)
        if not v.draft and by is not None:
            services.publish(v, by=by)
        draft = services.build(province, Period(Frequency.MONTH, 2026, 10), by=by, today=dt.date(2026, 11, 25),
                               rule=services.DRAFT)
    except BulletinError as exc:
        stdout.write(f"bulletins: not built ({exc})")
        return
    stdout.write(f"bulletins: {v.bulletin.number} 2026-09 published (v{v.version}); 2026-10 "
                 f"{'draft' if draft.draft else 'built'} v{draft.version}")
