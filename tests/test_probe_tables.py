"""The tables of ``dlselect probe``: what the training-step table shows for each row. (The table
of a real probe run is checked in test_measured.py.)"""

from __future__ import annotations

import io

from rich.console import Console

from selector.cli.probe_tables import probe_table, training_table
from selector.probing.models import OpResult, Outcome, ProbeReport, ProbeStatus


def _step(samples_per_s: float, first_s: float, unstable: bool = False) -> OpResult:
    median = 32 / samples_per_s
    return OpResult(device="cpu", dtype="float32", first_call_s=first_s, median_s=median,
                    iqr_s=0.3 * median if unstable else 0.0, samples=5, inner_loops=1,
                    unstable=unstable, samples_per_s=samples_per_s, first_step_s=first_s)


def _text(renderable: object) -> str:
    console = Console(width=200, file=io.StringIO())
    console.print(renderable)
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return text


def test_a_compiled_row_has_a_line_of_its_own_and_unstable_steps_are_marked() -> None:
    torch = Outcome(framework="torch", status=ProbeStatus.OK, ops={
        "train_cnn": _step(2100, 0.03), "train_lstm": _step(2567.4, 0.012, unstable=True),
        "train_transformer": _step(4100, 0.0003), "train_cnn_compiled": _step(3400, 41.7),
        "train_lstm_compiled": _step(3000, 1.234)})
    numba = Outcome(framework="numba", status=ProbeStatus.OK,
                    unsupported={"train_cnn": "no automatic differentiation"})
    table = training_table([torch, numba])
    assert table is not None
    lines = [line for line in _text(table).splitlines() if line.startswith("│")]
    assert len(lines) == 2  # torch eager, torch compiled; numba trains nothing
    eager, compiled = lines
    assert eager.split("│")[1].strip() == "torch"
    # below 0.1 s in milliseconds (an eager step of a few ms would otherwise read "0.00 s")
    assert "2,100 (30 ms)" in eager and "2,567 (12 ms) ~" in eager
    assert eager.split("│")[4].strip() == "4,100 (<1 ms)"
    assert compiled.split("│")[1].strip() == "torch (compiled)"
    assert "3,400 (42 s)" in compiled and "3,000 (1.23 s)" in compiled
    assert compiled.split("│")[4].strip() == "-"  # no compiled train_transformer


def test_no_training_table_without_training_steps() -> None:
    kernels_only = Outcome(framework="numba", status=ProbeStatus.OK)
    assert training_table([kernels_only]) is None
    report = ProbeReport(host={"id": "h"}, budget="quick", results=[kernels_only])
    assert "Training steps" not in _text(probe_table(report))
