"""Normalisers: raw indicator values -> scores 0…100, vectorised over one indicator's column.

A normaliser is ``f(x, present, higher, benchmark) -> scores``: ``x`` the float column, ``present`` the
mask of entities whose value takes part (an excluded value has ``present`` False and gets NaN),
``higher`` whether a higher value is better, ``benchmark`` the scheme's reference value or None.
Register a new one with ``@register("code", label)``; scheme indicators choose it by code.

The national methods are not published (domain spec §5.2, §6.4 [?]); these are the ones named in
reports: min-max (inverted when smaller is better), efficacy 功效系数法 60 + 40 × min-max, z-score
as a T-score 50 + 10 z clipped to 0…100, benchmark ratio x / b × 100 capped at 100.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from django.utils.translation import gettext_lazy as _

REGISTRY: dict[str, tuple[Callable, object]] = {}


def register(code: str, label):
    def deco(fn):
        REGISTRY[code] = (fn, label)
        return fn

    return deco


def choices():
    return [(code, label) for code, (_fn, label) in REGISTRY.items()]


def get(code: str) -> Callable:
    try:
        return REGISTRY[code][0]
    except KeyError:
        raise ValueError(f"unknown normaliser {code!r}") from None


def _minmax(x, present, higher):
    out = np.full(x.shape, np.nan)
    if not present.any():
        return out
    v = x[present]
    lo, hi = v.min(), v.max()
    if hi == lo:
        out[present] = 100.0
        return out
    out[present] = (v - lo) / (hi - lo) * 100.0 if higher else (hi - v) / (hi - lo) * 100.0
    return out


@register("minmax", _("min-max (0–100)"))
def minmax(x, present, higher, benchmark=None):
    return _minmax(x, present, higher)


@register("efficacy", _("efficacy coefficient (60–100)"))
def efficacy(x, present, higher, benchmark=None):
    return 60.0 + 0.4 * _minmax(x, present, higher)


@register("zscore", _("z-score as T-score (50 + 10 z, 0–100)"))
def zscore(x, present, higher, benchmark=None):
    out = np.full(x.shape, np.nan)
    if not present.any():
        return out
    v = x[present]
    sd = v.std()
    if sd == 0:
        out[present] = 50.0
        return out
    z = (v - v.mean()) / sd
    out[present] = np.clip(50.0 + 10.0 * (z if higher else -z), 0.0, 100.0)
    return out


@register("benchmark", _("ratio to a benchmark (capped at 100)"))
def benchmark(x, present, higher, benchmark=None):
    """x / b × 100 (higher is better) or b / x × 100 (lower is better), capped at 100; without a
    benchmark value the best value of the run is the benchmark."""
    out = np.full(x.shape, np.nan)
    if not present.any():
        return out
    v = x[present]
    b = float(benchmark) if benchmark is not None else (v.max() if higher else v.min())
    with np.errstate(divide="ignore", invalid="ignore"):
        if higher:
            s = np.where(b > 0, v / b * 100.0, 100.0)
        else:
            s = np.where(v > 0, b / np.where(v > 0, v, 1.0) * 100.0, 100.0)
    out[present] = np.clip(s, 0.0, 100.0)
    return out
