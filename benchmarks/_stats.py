"""Medians, spreads and the figures the benchmark report is made of."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spread:
    n: int
    median: float
    q1: float
    q3: float
    low: float
    high: float


def spread(values: Sequence[float]) -> Spread | None:
    """Median, quartiles ('inclusive' method, as the probes use) and range; None when empty."""
    if not values:
        return None
    if len(values) == 1:
        v = values[0]
        return Spread(1, v, v, v, v, v)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(len(values), median, q1, q3, min(values), max(values))


def ratios(top: Sequence[float | None], bottom: Sequence[float | None]) -> list[float]:
    """Pairwise ratios of two interleaved series, skipping pairs where either side failed."""
    return [a / b for a, b in zip(top, bottom, strict=False)
            if a is not None and b is not None and b > 0]


def fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:,.0f}x" if value >= 100 else f"{value:.2f}x"
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:.2f} s" if value < 10 else \
            f"{value:.1f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "GFLOP/s":
        return f"{value:.0f} GFLOP/s"
    if unit == "samples/s":
        return f"{value:,.0f} samples/s"
    if unit == "%":
        return f"{value:.0f} %"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:.3g} {unit}".rstrip()


@dataclass
class Figure:
    """One reported figure: its runs, its target (if any) and whether the median meets it."""

    key: str
    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    target: str | None = None  # e.g. "< 0.3 s"; None: for information
    check: Callable[[float], bool] | None = None
    required_runs: int = 5
    failures: list[str] = field(default_factory=list)  # one line per failed run
    reason: str | None = None  # the likely reason, where the target is missed

    @property
    def stats(self) -> Spread | None:
        return spread(self.values)

    @property
    def verdict(self) -> str:
        s = self.stats
        if s is None:
            return "NOT MEASURED" if self.target else "not measured"
        if self.check is None:
            return "info"
        return "MET" if self.check(s.median) else "MISSED"

    def agreement_text(self) -> str:
        """'k/n runs within target' where single runs disagree with the median's verdict."""
        if self.check is None or not self.values:
            return ""
        within = sum(bool(self.check(v)) for v in self.values)
        if within in (0, len(self.values)):
            return ""
        return f" ({within}/{len(self.values)} runs within target)"

    def median_text(self) -> str:
        s = self.stats
        return "—" if s is None else fmt(s.median, self.unit)

    def spread_text(self) -> str:
        s = self.stats
        if s is None:
            return "—"
        if s.n == 1:
            return "(one run)"
        iqr = f"IQR {fmt(s.q1, self.unit)} – {fmt(s.q3, self.unit)}"
        return f"{iqr}; range {fmt(s.low, self.unit)} – {fmt(s.high, self.unit)}"

    def runs_text(self) -> str:
        n = len(self.values)
        text = str(n)
        if self.failures:
            text += f" ({len(self.failures)} failed)"
        if n < self.required_runs:
            text += f", below {self.required_runs}"
        return text
