"""报核/核销 (write-off): a cycle of one book, its frozen list set, stocktake and per-item results.

Rows are written only by ``services.writeoff``; the per-item result rows are produced by one
``INSERT … SELECT`` (``ledger.sql_writeoff``).  See docs/ledger-writeoff.md.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zonebook.core.scoping import ScopedQuerySet

from .book import QTY, _prefixed

MONEY = {"max_digits": 18, "decimal_places": 2}


class WriteOffState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PRE_CHECK = "pre_check", _("Pre-check (预报核)")
    SUBMITTED = "submitted", _("Submitted (正式报核)")
    ACCEPTED = "accepted", _("Accepted by customs")
    CLOSED = "closed", _("Closed (核销结案)")


# state → states it may move to
WRITEOFF_TRANSITIONS = {
    WriteOffState.DRAFT: {WriteOffState.PRE_CHECK},
    WriteOffState.PRE_CHECK: {WriteOffState.SUBMITTED, WriteOffState.DRAFT},
    WriteOffState.SUBMITTED: {WriteOffState.ACCEPTED},
    WriteOffState.ACCEPTED: {WriteOffState.CLOSED},
    WriteOffState.CLOSED: set(),
}


class ReasonCode(models.TextChoices):
    """Reason of a write-off difference (差异原因)."""

    CONSUMPTION_HIGH = "consumption_high", _("Consumption declared too high (单耗偏高)")
    CONSUMPTION_LOW = "consumption_low", _("Consumption declared too low (单耗偏低)")
    UNDECLARED_SALE = "undeclared_sale", _("Undeclared domestic sale (未申报内销)")
    EXCESS_LOSS = "excess_loss", _("Loss above the approved rate (损耗超标)")
    STOCKTAKE_ERROR = "stocktake_error", _("Stocktake error (盘点误差)")
    OTHER = "other", _("Other (其他)")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")
    SUPERSEDED = "superseded", _("Superseded (write-off withdrawn to draft)")


class SettlementKind(models.TextChoices):
    DOMESTIC_SALE = "domestic_sale", _("Domestic-sale duty draft (内销补税)")
    CONSUMPTION_CHANGE = "consumption_change", _("Consumption change draft (单耗变更)")
    EXPLANATION = "explanation", _("Written explanation (情况说明)")
    ADJUSTMENT = "adjustment", _("Accepted as adjustment (核增/核减)")


class WriteOff(models.Model):
    """报核: one cycle (start … end, both inclusive) of one book.  The opening of every material is the
    closing of the book's previous closed write-off (or the item's 核销周期初始数量 for the first one)."""

    book = models.ForeignKey(
        "ledger.Book", verbose_name=_("book"), on_delete=models.PROTECT, related_name="writeoffs"
    )
    report_no = models.PositiveIntegerField(_("report count (报核次数)"))
    start = models.DateField(_("cycle start (报核开始时间)"))
    end = models.DateField(_("cycle end (报核截止时间)"))
    state = models.CharField(
        _("state"), max_length=16, choices=WriteOffState.choices, default=WriteOffState.DRAFT
    )
    threshold_percent = models.DecimalField(
        _("difference threshold % (差异率阈值)"), max_digits=7, decimal_places=4, default=1
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous write-off"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next",
    )
    # header totals, written by the computation
    list_count = models.PositiveIntegerField(_("lists"), default=0)
    line_count = models.PositiveIntegerField(_("list lines"), default=0)
    material_count = models.PositiveIntegerField(_("materials"), default=0)
    product_count = models.PositiveIntegerField(_("products"), default=0)
    import_amount = models.DecimalField(_("material inflow amount"), **MONEY, default=0)
    export_amount = models.DecimalField(_("product outflow amount"), **MONEY, default=0)
    shortage_amount = models.DecimalField(_("shortage amount (短少金额)"), **MONEY, default=0)
    surplus_amount = models.DecimalField(_("surplus amount (盈余金额)"), **MONEY, default=0)
    over_threshold = models.PositiveIntegerField(_("items over the threshold"), default=0)
    has_stocktake = models.BooleanField(_("stocktake imported"), default=False)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    SCOPE_PATHS = _prefixed("book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("write-off (报核)")
        verbose_name_plural = _("write-offs (报核)")
        ordering = ["book", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["book", "report_no"], name="ledger_writeoff_unique_no"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="ledger_writeoff_order"
            ),
        ]

    def __str__(self):
        return f"{self.book} #{self.report_no} {self.start}…{self.end}"

    def audit_scope(self):
        return self.book.audit_scope()


class WriteOffList(models.Model):
    """A list included (frozen) in a write-off; a list belongs to at most one write-off."""

    writeoff = models.ForeignKey(
        WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE, related_name="list_links"
    )
    inventory_list = models.OneToOneField(
        "ledger.InventoryList",
        verbose_name=_("inventory list"),
        on_delete=models.PROTECT,
        related_name="writeoff_link",
    )

    SCOPE_PATHS = _prefixed("writeoff__book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("write-off list")
        verbose_name_plural = _("write-off lists")

    def __str__(self):
        return f"{self.writeoff_id}:{self.inventory_list_id}"


class StocktakeRow(models.Model):
    """盘点: one row per item.  Materials: stock + in transit; products: WIP, finished, defective
    (converted to materials through the consumption version: 折料)."""

    writeoff = models.ForeignKey(
        WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE, related_name="stocktake_rows"
    )
    row_no = models.PositiveIntegerField(_("row no."))
    item = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("book item"), on_delete=models.PROTECT, related_name="+"
    )
    stock = models.DecimalField(_("material stock (料件库存)"), **QTY, default=0)
    in_transit = models.DecimalField(_("in transit (在途)"), **QTY, default=0)
    wip = models.DecimalField(_("work in progress (在制品)"), **QTY, default=0)
    finished = models.DecimalField(_("finished goods (成品库存)"), **QTY, default=0)
    defective = models.DecimalField(_("defectives (残次品)"), **QTY, default=0)
    version = models.CharField(_("consumption version (单耗版本号)"), max_length=8, blank=True)
    source = models.CharField(_("source file"), max_length=200, blank=True)

    SCOPE_PATHS = _prefixed("writeoff__book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stocktake row (盘点)")
        verbose_name_plural = _("stocktake rows (盘点)")
        ordering = ["writeoff", "row_no"]
        constraints = [
            models.UniqueConstraint(fields=["writeoff", "item"], name="ledger_stocktake_unique_item"),
            models.CheckConstraint(
                condition=models.Q(
                    stock__gte=0, in_transit__gte=0, wip__gte=0, finished__gte=0, defective__gte=0
                ),
                name="ledger_stocktake_nonneg",
            ),
        ]

    def __str__(self):
        return f"{self.writeoff_id} row {self.row_no}"

    def audit_scope(self):
        return self.writeoff.audit_scope()


# (field, label, csv header, customs-layout title) of the material line, in report order
WRITEOFF_MATERIAL_FIELDS = [
    ("opening", _("opening (期初)"), "opening", "期初数量"),
    ("imports", _("imports (进口)"), "imports", "进口数量"),
    ("carry_in", _("carry-over in (深加工结转转入)"), "carry_in", "深加工结转转入"),
    ("leftover_in", _("leftover in (余料结转转入)"), "leftover_in", "余料结转转入"),
    ("returns_in", _("returns in (退换进口)"), "returns_in", "料件退换进口"),
    ("returns_out", _("returns out (退换出口)"), "returns_out", "料件退换出口"),
    ("reexport", _("re-export (复出口)"), "reexport", "料件复出"),
    ("domestic_sale", _("domestic sale (内销)"), "domestic_sale", "料件内销"),
    ("leftover_out", _("leftover out (余料转出)"), "leftover_out", "余料结转转出"),
    ("destruction", _("destruction (销毁)"), "destruction", "料件销毁"),
    ("adjust_plus", _("adjustment plus (核增)"), "adjust_plus", "核增数量"),
    ("adjust_minus", _("adjustment minus (核减)"), "adjust_minus", "核减数量"),
    ("consumption", _("consumption (消耗)"), "consumption", "成品耗用"),
    ("tangible_loss", _("tangible loss (有形损耗)"), "tangible_loss", "有形损耗"),
    ("intangible_loss", _("intangible loss (无形损耗)"), "intangible_loss", "无形损耗"),
    ("expected_remaining", _("expected remaining (应剩余)"), "expected_remaining", "应剩余数量"),
    ("actual_remaining", _("actual remaining (实际剩余)"), "actual_remaining", "实际剩余数量"),
    ("difference_qty", _("difference (差异数量)"), "difference_qty", "差异数量"),
    ("difference_rate", _("difference rate % (差异率)"), "difference_rate", "差异率%"),
    ("avg_price", _("average unit price (平均单价)"), "avg_price", "平均单价"),
    ("difference_amount", _("difference amount (差异金额)"), "difference_amount", "差异金额"),
    ("scrap_opening", _("scrap opening (边角料期初)"), "scrap_opening", "边角料期初"),
    ("scrap_out", _("scrap disposed (边角料处置)"), "scrap_out", "边角料内销复出销毁"),
    ("scrap_balance", _("scrap balance (边角料余额)"), "scrap_balance", "边角料余额"),
    ("closing", _("closing (本期结余)"), "closing", "本期结余数量"),
]
WRITEOFF_PRODUCT_FIELDS = [
    ("exported", _("exported (成品出口)"), "exported", "成品出口"),
    ("carry_out", _("carried over out (深加工结转转出)"), "carry_out", "深加工结转转出"),
    ("product_returns_in", _("returns in (成品退换进口)"), "product_returns_in", "成品退换进口"),
    ("product_returns_out", _("returns out (成品退换出口)"), "product_returns_out", "成品退换出口"),
    ("outflow", _("net outflow (出口总数量)"), "outflow", "成品出口总数量"),
    ("wip", _("work in progress (在制品)"), "wip", "在制品"),
    ("finished", _("finished goods (成品库存)"), "finished", "成品库存"),
    ("defective", _("defectives (残次品)"), "defective", "残次品"),
]


class WriteOffLine(models.Model):
    """One item of a write-off: a material (every §6.3(c) column) or a product (outflow totals)."""

    writeoff = models.ForeignKey(
        WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE, related_name="lines"
    )
    item = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("book item"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("item kind"), max_length=8)
    seq_no = models.PositiveIntegerField(_("sequence no. (备案序号)"))
    closing_amount = models.DecimalField(_("closing amount"), **MONEY, default=0)

    SCOPE_PATHS = _prefixed("writeoff__book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("write-off line")
        verbose_name_plural = _("write-off lines")
        ordering = ["writeoff", "kind", "seq_no"]
        constraints = [
            models.UniqueConstraint(fields=["writeoff", "item"], name="ledger_wo_line_unique_item"),
        ]
        indexes = [models.Index(fields=["writeoff", "kind", "seq_no"], name="ledger_wo_line_order")]

    def __str__(self):
        return f"{self.writeoff_id}:{self.kind}#{self.seq_no}"

    def audit_scope(self):
        return self.writeoff.audit_scope()


for _name, _label, _h, _t in WRITEOFF_MATERIAL_FIELDS:
    # actual remaining and the differences stay NULL until a stocktake exists
    if _name == "difference_rate":
        WriteOffLine.add_to_class(
            _name, models.DecimalField(_label, max_digits=20, decimal_places=4, null=True)
        )
    elif _name == "avg_price":
        WriteOffLine.add_to_class(
            _name, models.DecimalField(_label, max_digits=18, decimal_places=4, null=True)
        )
    elif _name == "difference_amount":
        WriteOffLine.add_to_class(_name, models.DecimalField(_label, **MONEY, null=True))
    elif _name in ("actual_remaining", "difference_qty"):
        WriteOffLine.add_to_class(_name, models.DecimalField(_label, **QTY, null=True))
    else:
        WriteOffLine.add_to_class(_name, models.DecimalField(_label, **QTY, default=0))
for _name, _label, _h, _t in WRITEOFF_PRODUCT_FIELDS:
    WriteOffLine.add_to_class(_name, models.DecimalField(_label, **QTY, default=0))
WRITEOFF_LINE_COLUMNS = [f[0] for f in WRITEOFF_MATERIAL_FIELDS] + [f[0] for f in WRITEOFF_PRODUCT_FIELDS]


class DifferenceCase(models.Model):
    """差异 case: a material whose |差异率| exceeds the write-off's threshold.  The engine does not decide
    legality: it records the difference, its provenance, a proposed settlement and the resolution."""

    writeoff = models.ForeignKey(
        WriteOff, verbose_name=_("write-off"), on_delete=models.CASCADE, related_name="cases"
    )
    item = models.ForeignKey(
        "ledger.BookItem", verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    seq_no = models.PositiveIntegerField(_("sequence no. (备案序号)"))
    difference_qty = models.DecimalField(_("difference (差异数量)"), **QTY)
    difference_rate = models.DecimalField(_("difference rate %"), max_digits=20, decimal_places=4, null=True)
    difference_amount = models.DecimalField(_("difference amount"), **MONEY, default=0)
    expected_remaining = models.DecimalField(_("expected remaining (应剩余)"), **QTY)
    actual_remaining = models.DecimalField(_("actual remaining (实际剩余)"), **QTY)
    reason_code = models.CharField(_("reason (差异原因)"), max_length=24, choices=ReasonCode.choices)
    proposed_kind = models.CharField(_("proposed settlement"), max_length=24, choices=SettlementKind.choices)
    proposed_qty = models.DecimalField(_("proposed quantity"), **QTY, default=0)
    proposed_amount = models.DecimalField(_("proposed amount"), **MONEY, default=0)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    settlement_kind = models.CharField(
        _("settlement"), max_length=24, choices=SettlementKind.choices, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATHS = _prefixed("writeoff__book")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("difference case (差异)")
        verbose_name_plural = _("difference cases (差异)")
        ordering = ["writeoff", "seq_no", "id"]
        indexes = [models.Index(fields=["writeoff", "status"], name="ledger_case_wo_status")]

    def __str__(self):
        return f"{self.writeoff} #{self.seq_no} {self.difference_qty}"

    @property
    def is_shortage(self) -> bool:
        return self.difference_qty < 0

    def audit_scope(self):
        return self.writeoff.audit_scope()
