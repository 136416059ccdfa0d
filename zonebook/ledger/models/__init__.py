from .balance import BALANCE_COLUMNS, BALANCE_FIELDS, Balance
from .book import Book, BookItem, BookStatusEvent
from .consumption import Consumption
from .inventory import InventoryList, InventoryListLine
from .rules import ModeBookKind, PostingRule
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
    "Book",
    "BookItem",
    "BookStatusEvent",
    "Consumption",
    "InventoryList",
    "InventoryListLine",
    "ModeBookKind",
    "PostingRule",
    "WRITEOFF_LINE_COLUMNS",
    "WRITEOFF_MATERIAL_FIELDS",
    "WRITEOFF_PRODUCT_FIELDS",
    "DifferenceCase",
    "StocktakeRow",
    "WriteOff",
    "WriteOffLine",
    "WriteOffList",
]
