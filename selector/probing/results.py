"""Reading ``dlselect probe --format json`` files made on other machines."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from selector.errors import DlselectError, location, read_text
from selector.probing.models import PROBE_REPORT_SCHEMA_VERSION, Outcome, ProbeReport


class ProbeResultsError(DlselectError):
    """A probe-results file is unreadable, of another tool, or of an unknown version."""


def load_report(path: Path) -> ProbeReport:
    text = read_text(path, ProbeResultsError)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProbeResultsError(f"{path}: not JSON: {exc}") from None
    except RecursionError:
        # json recurses once per nested array or object.
        raise ProbeResultsError(f"{path}: not JSON: nested too deeply") from None
    if not isinstance(data, dict) or data.get("tool") != "dlselect":
        raise ProbeResultsError(f"{path}: not a dlselect probe-results file",
                                tip="make one with: dlselect probe --format json > host.json")
    version = data.get("schema_version")
    if version != PROBE_REPORT_SCHEMA_VERSION:
        raise ProbeResultsError(f"{path}: schema_version: unsupported {version!r}; this "
                                f"dlselect reads version {PROBE_REPORT_SCHEMA_VERSION}")
    try:
        return ProbeReport.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = location(err["loc"])
        raise ProbeResultsError(f"{path}: {loc}: {err['msg']}") from None


def load_outcomes(paths: list[Path]) -> list[Outcome]:
    return [o for path in paths for o in load_report(path).results]


def load_reports(paths: list[Path]) -> list[tuple[str, ProbeReport]]:
    return [(str(path), load_report(path)) for path in paths]
