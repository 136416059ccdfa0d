"""Code lists of the bonded ledger (账册).  Dated, editable rules live in tables (PostingRule, ModeBookKind)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .calc import SignView


class BookKind(models.TextChoices):
    """备案号 first letter = kind (domain doc §2.1)."""

    SUPPLIED = "B", _("Handbook for processing with supplied materials (来料加工手册)")
    IMPORTED = "C", _("Handbook for processing with imported materials (进料加工手册)")
    EQUIPMENT = "D", _("Equipment handbook (设备手册)")
    EBOOK = "E", _("Networked processing-trade e-book (联网监管账册)")
    ZONE = "H", _("Zone book (区内账册)")
    LOGISTICS_ZONE = "T", _("Zone logistics book (区域物流账册)")
    LOGISTICS = "L", _("Logistics book outside zones (区外物流账册)")


class BookStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FILED = "filed", _("Filed")
    IN_USE = "in_use", _("In use")
    UNDER_WRITEOFF = "under_writeoff", _("Under write-off")
    CLOSED = "closed", _("Closed")


# Allowed status transitions (draft → filed → in use → under write-off → closed).
BOOK_TRANSITIONS = {
    BookStatus.DRAFT: {BookStatus.FILED},
    BookStatus.FILED: {BookStatus.IN_USE, BookStatus.CLOSED},
    BookStatus.IN_USE: {BookStatus.UNDER_WRITEOFF},
    BookStatus.UNDER_WRITEOFF: {BookStatus.IN_USE, BookStatus.CLOSED},
    BookStatus.CLOSED: set(),
}
# Books that accept new inventory lists.
POSTABLE_BOOK_STATUSES = {BookStatus.FILED, BookStatus.IN_USE}


class WriteOffMethod(models.TextChoices):
    """Source of the consumption (消耗) term of the write-off (§6.5): pluggable."""

    BOM = "bom", _("Consumption table (单耗)")
    WORK_ORDER = "work_order", _("Work orders (工单核销)")


class ItemKind(models.TextChoices):
    MATERIAL = "material", _("Material (料件)")
    PRODUCT = "product", _("Product (成品)")


class ItemStatus(models.TextChoices):
    ACTIVE = "active", _("In use")
    STOPPED = "stopped", _("Stopped")


class DeclarationStatus(models.TextChoices):
    """ucnsDclStucd 单耗申报状态."""

    UNDECLARED = "1", _("Not declared (未申报)")
    DECLARED = "2", _("Declared (已申报)")
    CONFIRMED = "3", _("Confirmed (已确定)")


class IEMark(models.TextChoices):
    IMPORT = "I", _("Import (进)")
    EXPORT = "E", _("Export (出)")


class ListState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    POSTED = "posted", _("Approved (posted)")
    CANCELLED = "cancelled", _("Cancelled")
    # Written by a large import in committed batches and published (made draft/submitted/posted)
    # by its short final transaction; hidden from every page and the API until then, deleted when
    # the import fails (core/imports/staging.py).
    IMPORTING = "importing", _("Being imported (hidden)")


class ListSource(models.TextChoices):
    """Where a list came from: entered or imported in Zonebook (posted by a user recording customs'
    receipt by hand), or a customs INV101 message (posted by customs' own receipt, app ``customs``)."""

    MANUAL = "manual", _("Entered in Zonebook (manual post)")
    CUSTOMS = "customs", _("Customs message INV101 (posted by receipt)")


class BalanceColumn(models.TextChoices):
    """Balance columns a posting rule can move (target column of PostingRule)."""

    NONE = "", _("No effect (tax only)")
    IMPORTS = "imports", _("Imports (进口)")
    CARRY_IN = "carry_in", _("Deep-processing carry-over in (深加工转入)")
    LEFTOVER_IN = "leftover_in", _("Leftover materials in (余料转入)")
    RETURNS_IN = "returns_in", _("Material returns in (退换进口)")
    RETURNS_OUT = "returns_out", _("Material returns out (退换出口)")
    REEXPORT = "reexport", _("Re-export (复出)")
    DOMESTIC_SALE = "domestic_sale", _("Domestic sale (内销)")
    LEFTOVER_OUT = "leftover_out", _("Leftover materials out (余料转出)")
    DESTRUCTION = "destruction", _("Destruction (销毁)")
    SCRAP_OUT = "scrap_out", _("Scrap disposed (边角料内销/复出/销毁)")
    EXPORTED = "exported", _("Products exported (成品出口)")
    CARRY_OUT = "carry_out", _("Products carried over out (深加工转出)")
    PRODUCT_RETURNS_IN = "product_returns_in", _("Product returns in (成品退换进口)")
    PRODUCT_RETURNS_OUT = "product_returns_out", _("Product returns out (成品退换出口)")


MATERIAL_COLUMNS = (
    "imports",
    "carry_in",
    "leftover_in",
    "returns_in",
    "returns_out",
    "reexport",
    "domestic_sale",
    "leftover_out",
    "destruction",
)
PRODUCT_COLUMNS = ("exported", "carry_out", "product_returns_in", "product_returns_out")
SCRAP_COLUMNS = ("scrap_out",)
# Every column moved by rules (direct quantity), in display order.
RULE_COLUMNS = MATERIAL_COLUMNS + SCRAP_COLUMNS + PRODUCT_COLUMNS
# The sign a PostingRule must carry for its target column (checked in PostingRule.clean, so that the
# incremental posting and the equation-based recompute agree): a view of the one sign table
# ``calc.SIGN``, which the §6.3(c) equation reads too.
COLUMN_SIGN = SignView(RULE_COLUMNS)


class NegativeBalancePolicy(models.TextChoices):
    REFUSE = "refuse", _("Refuse the posting")
    WARN = "warn", _("Post and warn")
