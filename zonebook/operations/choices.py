"""Code tables of zone operations (业务申报, 卡口, 流转)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TypeCategory(models.TextChoices):
    """What a business application type is about (the zone office's annual table groups by it)."""

    PROJECT_ADMISSION = "project_admission", _("Project admission review (项目入区审核)")
    ENTERPRISE_ADMISSION = "enterprise_admission", _("Enterprise admission (企业入区准入)")
    INFRA_MATERIAL = "infra_material", _("Infrastructure materials into the zone (基建物资进区)")
    EQUIPMENT_RETURN = "equipment_return", _("Equipment return (设备退运)")
    EQUIPMENT_REPAIR = "equipment_repair", _("Equipment out for testing/repair (设备出区检测/维修)")
    OUTWARD_PROCESSING = "outward_processing", _("Outward processing (外发加工)")
    BOOK_FILING = "book_filing", _("E-book filing/change (电子账册备案/变更)")
    PACKAGING_WASTE = "packaging_waste", _("Packaging waste/solid waste out (废弃包装物/固体废物出区)")
    RETURN = "return", _("Goods return (退运)")
    DOMESTIC_SALE = "domestic_sale", _("Domestic sale (内销)")
    CARRY_OVER = "carry_over", _("Deep-processing carry-over (深加工结转)")
    SCRAP = "scrap", _("Scrap/defective goods out (边角料/残次品出区)")
    EXHIBITION = "exhibition", _("Exhibition (展示)")


class LedgerLink(models.TextChoices):
    """Which ledger object an application of the type refers to (linked, never copied)."""

    NONE = "", _("none")
    CARRY_OVER = "carry_over", _("carry-over application (ledger)")
    DOMESTIC_SALE = "domestic_sale", _("domestic-sale calculation (ledger)")
    BOOK = "book", _("book filing and status (ledger)")


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("numeric value")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")
    ENTERPRISE = "enterprise", _("enterprise")
    BOOK = "book", _("book")
    LINES = "lines", _("goods lines")
    ATTACHMENT = "attachment", _("attachment")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft (草稿)")
    SUBMITTED = "submitted", _("Submitted (待受理)")
    ACCEPTED = "accepted", _("Accepted (已受理)")
    REVIEWED = "reviewed", _("Preliminary review passed (初审)")
    APPROVED = "approved", _("Approved (复核/批准)")
    COMPLETED = "completed", _("Completed (办结)")
    RETURNED = "returned", _("Returned for correction (退回补正)")
    REFUSED = "refused", _("Not accepted (不予受理)")
    WITHDRAWN = "withdrawn", _("Withdrawn (撤回)")


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWED, Status.APPROVED, Status.RETURNED)
STAFF_TODO = (Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWED, Status.APPROVED)
CLOSED_STATUSES = (Status.COMPLETED, Status.REFUSED, Status.WITHDRAWN)


class Action(models.TextChoices):
    CREATE = "create", _("created")
    EDIT = "edit", _("edited")
    SUBMIT = "submit", _("submitted")
    ACCEPT = "accept", _("accept (受理)")
    REVIEW = "review", _("pass preliminary review (初审)")
    APPROVE = "approve", _("approve (复核/批准)")
    COMPLETE = "complete", _("complete (办结)")
    RETURN = "return", _("return for correction (退回补正)")
    REFUSE = "refuse", _("refuse (不予受理)")
    WITHDRAW = "withdraw", _("withdraw (撤回)")
    EXCEPTION = "exception", _("negative-list exception granted")


# staff action -> (statuses it applies to, resulting status)
TRANSITIONS = {
    Action.ACCEPT: ((Status.SUBMITTED,), Status.ACCEPTED),
    Action.REVIEW: ((Status.ACCEPTED,), Status.REVIEWED),
    Action.APPROVE: ((Status.REVIEWED,), Status.APPROVED),
    Action.COMPLETE: ((Status.APPROVED,), Status.COMPLETED),
    Action.RETURN: ((Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWED), Status.RETURNED),
    Action.REFUSE: ((Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWED), Status.REFUSED),
}
STAFF_ACTIONS = tuple(TRANSITIONS)


class Channel(models.TextChoices):
    ONLINE = "online", _("online (enterprise)")
    COUNTER = "counter", _("counter (窗口)")


# ---------------------------------------------------------------- gate (SAS111 / SAS121)


class Direction(models.TextChoices):
    IN = "I", _("into the zone (进区)")
    OUT = "E", _("out of the zone (出区)")


class PassType(models.TextChoices):
    """passportTypecd."""

    ENTER_FIRST = "1", _("enter first, declare later (先入区后报关)")
    INTEGRATED = "2", _("first-line integrated (一线一体化)")
    SECOND_LINE = "3", _("second-line in/out (二线进出区)")
    NON_DECLARATION = "4", _("non-declaration (非报关)")
    GATE_REGISTERED = "5", _("gate-registered goods (卡口登记货物)")
    EMPTY = "6", _("empty vehicle (空车)")
    TWO_STEP = "7", _("two-step declaration (两步申报)")


class BindType(models.TextChoices):
    """bindTypecd."""

    ONE_VEHICLE_MANY = "1", _("one vehicle, several documents (一车多票)")
    ONE_TO_ONE = "2", _("one vehicle, one document (一车一票)")
    ONE_DOC_MANY = "3", _("one document, several vehicles (一票多车)")


class PassStatus(models.TextChoices):
    """stucd."""

    APPLIED = "0", _("applied (已申请)")
    APPROVED = "1", _("approved (已审批)")
    PASSED = "2", _("passed the gate (已过卡)")
    FIRST_GATE = "3", _("passed the first gate (已过一卡)")
    SECOND_GATE = "4", _("passed the second gate (已过二卡)")
    CANCELLED = "6", _("cancelled (作废)")


class RelatedKind(models.TextChoices):
    """rltTbTypecd."""

    INVENTORY_LIST = "1", _("inventory list (核注清单)")
    STOCK_NOTE = "2", _("stock note (出入库单)")
    BILL = "3", _("bill of lading (提运单)")


class EventResult(models.TextChoices):
    RELEASED = "released", _("released (放行)")
    HELD = "held", _("held for the officer (待处置)")
    REFUSED = "refused", _("refused (拒绝)")


class ExceptionKind(models.TextChoices):
    WEIGHT = "weight", _("weight outside tolerance")
    QUANTITY = "quantity", _("quantity exceeds the list")
    SEQUENCE = "sequence", _("second gate without the first")


class GateStage(models.TextChoices):
    """Where a gate stands in a passage: a one-gate zone's gate, or the first / second of two (一卡 / 二卡)."""

    SINGLE = "single", _("single gate (过卡)")
    FIRST = "first", _("first gate (一卡)")
    SECOND = "second", _("second gate (二卡)")


class ExceptionState(models.TextChoices):
    OPEN = "open", _("open")
    RELEASED = "released", _("released by the officer")
    HELD = "held", _("held")
