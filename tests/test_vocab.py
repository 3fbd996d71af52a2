"""Closed choices are str Enums, and every member of each is handled (budget, probe device,
probe output format; the report formats are covered in test_report.py)."""

from __future__ import annotations

import sys

from selector.answers import Answers
from selector.api import probe_device
from selector.cli.probe import probe_output
from selector.probing.models import ProbeReport
from selector.vocab import Budget, ProbeDevice, ProbeFormat
from tests.conftest import REPO


def test_every_budget_is_one_the_probes_know() -> None:
    sys.path.insert(0, str(REPO / "probes"))
    try:
        import _harness as h
    finally:
        sys.path.remove(str(REPO / "probes"))
    assert {str(b) for b in Budget} == set(h.BUDGETS)


def test_every_probe_device_is_accepted() -> None:
    for device in ProbeDevice:
        assert probe_device(Answers(device=device.value)) is device
    # auto with a CPU-only team measures on the CPU (like with like).
    assert probe_device(Answers(device="auto", hardware=["cpu"])) is ProbeDevice.CPU


def test_every_probe_format_renders() -> None:
    report = ProbeReport(host={}, budget="quick", results=[])
    for fmt in ProbeFormat:
        text, plain = probe_output(report, fmt)
        assert plain is (fmt is ProbeFormat.JSON)
        if plain:
            assert ProbeReport.model_validate_json(str(text)) == report
