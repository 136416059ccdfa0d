"""Typed domain errors, mapped to form errors and API codes in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass
class RowError:
    row: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return f"{', '.join(parts)}: {self.reason}" if parts else self.reason


@dataclass
class DomainError(Exception):
    message: str
    code: str = "invalid"
    field: str | None = None
    details: list = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        return str(self.message)

    def as_list(self) -> list[dict]:
        if self.details:
            return [d.__dict__ if isinstance(d, RowError) else {"detail": str(d)} for d in self.details]
        return [{"field": self.field, "detail": str(self.message)}]
