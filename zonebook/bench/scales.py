"""Dataset sizes of ``manage.py bench generate`` (DESIGN.md §4).

``province`` is the goal size; ``small`` is 1/100 of it (zones stay 12: a fraction of a zone makes
no sense); ``medium`` is 1/10; ``tiny`` is the CI smoke size.  Only what the project has is
generated: zones, enterprises, books, items, consumption, posted inventory lists, and one write-off
with a stocktake per book and calendar year.  Gate passes, tickets, projects and statistics do not
exist yet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    zones: int
    enterprises: int
    books: int
    items: int
    consumption: int
    lines: int  # inventory-list lines in total (including the heavy book)
    heavy_lines: int  # lines of the one "heavy" book used by the report measurement
    list_lines: int  # mean lines per inventory list
    years: int = 3

    def as_dict(self) -> dict:
        return asdict(self)


SCALES = {
    "province": Scale("province", 12, 2000, 3000, 200_000, 400_000, 10_000_000, 50_000, 100),
    "medium": Scale("medium", 12, 200, 300, 20_000, 40_000, 1_000_000, 50_000, 100),
    "small": Scale("small", 12, 20, 30, 2_000, 4_000, 100_000, 50_000, 100),
    "tiny": Scale("tiny", 2, 3, 3, 60, 120, 800, 300, 40),
}
