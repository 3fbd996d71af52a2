"""Shared fixtures: built-in snapshots and a factory for small synthetic ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from selector.knowledge import load_snapshot, parse_snapshot
from selector.models import Snapshot

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2020, 1, 1)
#: Test modules whose tests run the probed frameworks in their interpreters.
FRAMEWORK_MODULES = {"test_probe_programs", "test_training_probes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.split(".")[-1] in FRAMEWORK_MODULES:
            item.add_marker(pytest.mark.frameworks)


def mxnet_unavailable() -> str | None:
    """Why the MXNet environment is missing, as `make test` recorded it, or None."""
    why = REPO / ".venv-mxnet" / "UNAVAILABLE"
    return why.read_text(encoding="utf-8").strip() if why.exists() else None


@pytest.fixture(scope="session")
def snapshot_2017() -> Snapshot:
    return load_snapshot("2017")


def snapshot_data(values: Sequence[Sequence[float]], *, weights: Sequence[float] | None = None,
                  languages: Sequence[Sequence[str]] | None = None,
                  objectives: Sequence[str] | None = None) -> dict[str, Any]:
    """A valid snapshot document with frameworks f0..fn and criteria c0..cm."""
    n, m = len(values), len(values[0])
    weights = weights or [1.0] * m
    objectives = objectives or ["max"] * m
    languages = languages or [["python"]] * n
    named = list(dict.fromkeys(lang for langs in languages for lang in langs))
    return {
        "schema_version": 3, "id": "synthetic", "title": "Synthetic", "as_of": AS_OF,
        "read_on": AS_OF, "description": "test matrix", "scale": {"min": 0, "max": 10},
        "sources": [{"id": "test", "title": "A test"}],
        "criteria": [{"id": f"c{j}", "name": f"C{j}", "description": "d",
                      "objective": objectives[j], "default_weight": weights[j]}
                     for j in range(m)],
        "frameworks": [{"id": f"f{i}", "name": f"F{i}", "status": "active"} for i in range(n)],
        "targets": [{"axis": "language", "id": lang, "name": lang, "meaning": "m"}
                    for lang in named],
        "support": [{"framework": f"f{i}", "axis": "language", "target": lang,
                     "level": "native", "source": "test", "evidence_date": AS_OF}
                    for i in range(n) for lang in languages[i]],
        "scores": [{"framework": f"f{i}", "criterion": f"c{j}", "value": values[i][j],
                    "source": "test", "evidence_date": AS_OF, "rationale": "r"}
                   for i in range(n) for j in range(m)],
    }


@pytest.fixture
def make_snapshot() -> Callable[..., Snapshot]:
    def make(values: Sequence[Sequence[float]], **kwargs: Any) -> Snapshot:
        return parse_snapshot(snapshot_data(values, **kwargs), "synthetic")

    return make
