"""How the benchmarks judge a quick probe figure against a long measurement: the "likely
reason" text (bias or noise) and the long training-step reference's quiet blocks
(benchmarks/probe_accuracy.py, benchmarks/train_long.py). The other processes' CPU use is faked:
it cannot be produced on demand."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import probe_accuracy  # noqa: E402 - scripts beside the benchmarks, not a package
import train_long  # noqa: E402
from _stats import Figure  # noqa: E402


def _figure(values: list[float]) -> Figure:
    lo, hi = probe_accuracy.ACCURACY_BAND
    return Figure("e.x", "x", "x", values, f"{lo} – {hi}x", lambda m: lo <= m <= hi)


def _reason(values: list[float]) -> str:
    fig = _figure(values)
    pairs = [probe_accuracy.Pair(v, 1.0, False, 0.0) for v in values]
    return probe_accuracy.accuracy_reason(fig, 1.0, 1.0, len(values), 0, 0.05, [0.0], pairs)


def test_pairs_all_on_one_side_point_to_a_bias_however_wide() -> None:
    # jax train_transformer's five pairs in one bench run: all above 1, spread 0.48
    text = _reason([1.06, 1.10, 1.17, 1.30, 1.54])
    assert "points to a bias without proving one" in text
    assert "quick probe faster" in text
    assert "noise rather than bias" not in text


def test_pairs_all_on_one_side_are_weighed_by_a_sign_test() -> None:
    """All of n pairs on one side happens by chance 2 times in 2**n: said, never called proof."""
    text = _reason([0.70, 0.85, 0.80, 0.95, 0.60])
    assert "quick probe slower" in text
    assert "2 times in 32, a sign test" in text
    assert "bias, not noise" not in text
    assert "2 times in 8," in _reason([0.70, 0.85, 0.80])


def test_pairs_on_both_sides_are_noise() -> None:
    text = _reason([0.75, 1.18, 1.13, 1.24, 1.41])
    assert "noise rather than bias" in text


class _Clock:
    """Fake ``_cpu_ticks``: other processes take ``busy`` ticks during the blocks named."""

    def __init__(self, noisy: set[int]) -> None:
        self.noisy = noisy
        self.reads = 0

    def ticks(self) -> Iterator[tuple[int, int]]:
        machine, own = 0, 0
        while True:
            block = self.reads // 2
            self.reads += 1
            if self.reads % 2 == 0 and block in self.noisy:
                machine += 1_000  # far above any block's share
            yield machine, own


def test_quiet_blocks_make_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks during which others took the CPU are slow; the reference leaves them out, and
    ``median_all_s`` (every block) shows what the unfiltered median would have been."""
    clock = _Clock(noisy=set(range(0, 40, 2)) | set(range(1, 13, 2)))  # most blocks early
    ticks = clock.ticks()
    monkeypatch.setattr(train_long, "_cpu_ticks", lambda: next(ticks))
    monkeypatch.setattr(train_long, "BLOCK_S", 0.002)

    def call() -> None:
        block = (clock.reads - 1) // 2  # the block whose first read has been made
        seconds = 0.0004 if block in clock.noisy and clock.reads % 2 == 1 else 0.0002
        end = train_long.time.perf_counter() + seconds
        while train_long.time.perf_counter() < end:
            pass

    result = train_long.calibrated_quiet(call, lambda _out: None, 0.05)
    assert result["quiet_blocks"] >= train_long.MIN_BLOCKS
    assert result["quiet_blocks"] < result["blocks"]
    # the quiet median is the fast call's; the median of all blocks is pulled up by the slow
    assert result["median_s"] == pytest.approx(0.0002, rel=0.5)
    assert result["median_all_s"] > 1.3 * result["median_s"]
    assert len(result["block_log"]) == result["blocks"]
    shares = [share for _t, _s, share in result["block_log"]]
    assert sum(share > train_long.QUIET_SHARE for share in shares) == (
        result["blocks"] - result["quiet_blocks"])


def test_others_share_counts_only_other_processes() -> None:
    hz = train_long.os.sysconf("SC_CLK_TCK") * (train_long.os.cpu_count() or 1)
    # over one second the machine was busy hz/2 ticks, of which this process took hz/4
    assert train_long._others_share((0, 0), (hz // 2, hz // 4), 1.0) == pytest.approx(
        0.25, abs=2 / hz)
    assert train_long._others_share(None, (1, 1), 1.0) is None


def test_cpu_ticks_reads_this_machine() -> None:
    ticks = train_long._cpu_ticks()
    if not Path("/proc/stat").exists():
        assert ticks is None
        return
    assert ticks is not None
    machine, own = ticks
    assert machine >= own >= 0
