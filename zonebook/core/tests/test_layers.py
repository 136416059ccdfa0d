"""The import-linter layers contract (pyproject.toml) covers every app and holds (DESIGN.md section 1)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["type"] == "layers" and c["name"].startswith("Layers:"))


def test_every_app_has_a_place_in_the_layers():
    listed = {
        name.strip().strip("()")
        for layer in _contract()["layers"]
        for name in re.split(r"[|:]", layer)
    }
    apps = {f"zonebook.{p.parent.name}" for p in (ROOT / "zonebook").glob("*/apps.py")}
    assert apps - listed == set(), "add the new app to the layers contract in pyproject.toml"
    assert "zonebook.core" == _contract()["layers"][-1]  # core at the bottom: it imports no app


def test_the_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:]
