"""Rewrite imports of names that issue 16's layering moved out of ``core`` (developer tool, run once
after merging a branch written against the old paths): ``python tools/relayer_imports.py [paths…]``.

  zonebook.core.testing.factories.{ZoneFactory, ParkFactory, EnterpriseFactory, code, next_uscc}
      → zonebook.registry.testing
  zonebook.core.testing.factories.{UserFactory, user_for, PASSWORD} → zonebook.accounts.testing
  zonebook.core.imports.parsers.CodeRef → zonebook.registry.parsers.CodeRef
  zonebook.core.imports.{views, jobs, forms, urls} → zonebook.imports.{views, jobs, forms, urls}
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REGISTRY = {"code", "next_uscc", "ZoneFactory", "ParkFactory", "EnterpriseFactory"}
ACCOUNTS = {"PASSWORD", "UserFactory", "user_for"}
def _import(module: str) -> re.Pattern:
    """``from <module> import a, b`` on one line, or ``from <module> import (a, b, …)`` over several."""
    mod = re.escape(module)
    return re.compile(rf"^( *)from {mod} import (?:\(([^)]*)\)|([^(\n]+))$", re.M)


FACTORIES = _import("zonebook.core.testing.factories")
PARSERS = _import("zonebook.core.imports.parsers")
MODULES = re.compile(r"zonebook\.core\.imports\.(views|jobs|forms|urls)\b")


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("\n", " ").split(",") if n.strip()]


def rewrite(source: str) -> str:
    def factories(m):
        ind, names = m.group(1), _names(m.group(2) or m.group(3))
        base = lambda n: n.split(" as ")[0]  # noqa: E731
        acc = [n for n in names if base(n) in ACCOUNTS]
        reg = [n for n in names if base(n) in REGISTRY]
        out = []
        if acc:
            out.append(f"{ind}from zonebook.accounts.testing import {', '.join(acc)}")
        if reg:
            out.append(f"{ind}from zonebook.registry.testing import {', '.join(reg)}")
        return "\n".join(out)

    def parsers(m):
        ind, names = m.group(1), _names(m.group(2) or m.group(3))
        if "CodeRef" not in names:
            return m.group(0)
        rest = [n for n in names if n != "CodeRef"]
        out = [f"{ind}from zonebook.registry.parsers import CodeRef"]
        if rest:
            out.insert(0, f"{ind}from zonebook.core.imports.parsers import {', '.join(rest)}")
        return "\n".join(out)

    source = FACTORIES.sub(factories, source)
    source = PARSERS.sub(parsers, source)
    return MODULES.sub(lambda m: f"zonebook.imports.{m.group(1)}", source)


def main(paths: list[str]) -> None:
    files = [p for arg in paths or ["zonebook"] for p in (Path(arg).rglob("*.py") if Path(arg).is_dir() else [Path(arg)])]
    for path in files:
        text = path.read_text()
        new = rewrite(text)
        if new != text:
            path.write_text(new)
            print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
