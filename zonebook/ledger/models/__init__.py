from .balance import BALANCE_COLUMNS, BALANCE_FIELDS, Balance, BookSummary
from .book import Book, BookItem, BookStatusEvent
from .carryover import CarryOver, CarryOverLink, CarryOverMatch
from .consumption import Consumption
from .deposit import LegacyDeposit
from .dutytax import InterestRate, TaxRate
from .inventory import InventoryList, InventoryListLine
from .rules import ModeBookKind, PostingRule
from .snapshot import BalanceSnapshot, MonthClose, MonthCloseStatus
from .writeoff import (
    WRITEOFF_LINE_COLUMNS,
    WRITEOFF_MATERIAL_FIELDS,
    WRITEOFF_PRODUCT_FIELDS,
    DifferenceCase,
    StocktakeRow,
    WriteOff,
    WriteOffLine,
    WriteOffList,
)

__all__ = [
    "BALANCE_COLUMNS",
    "BALANCE_FIELDS",
    "Balance",
    "BalanceSnapshot",
    "Book",
    "BookItem",
    "BookStatusEvent",
    "BookSummary",
    "CarryOver",
    "CarryOverLink",
    "CarryOverMatch",
    "Consumption",
    "InterestRate",
    "InventoryList",
    "InventoryListLine",
    "LegacyDeposit",
    "ModeBookKind",
    "MonthClose",
    "MonthCloseStatus",
    "PostingRule",
    "TaxRate",
    "WRITEOFF_LINE_COLUMNS",
    "WRITEOFF_MATERIAL_FIELDS",
    "WRITEOFF_PRODUCT_FIELDS",
    "DifferenceCase",
    "StocktakeRow",
    "WriteOff",
    "WriteOffLine",
    "WriteOffList",
]
