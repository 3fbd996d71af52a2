"""What ``recommend`` may not import: scikit-criteria and what it pulls in (pandas, scipy,
matplotlib, seaborn, scikit-learn: about three quarters of a run before the numpy kernels became
the scores), unless a flag asks for scikit-criteria (``--cross-check``, its ``--method``s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: scikit-criteria and its dependencies that nothing else on the ``recommend`` path imports.
LIBRARY = ("skcriteria", "pandas", "scipy", "matplotlib", "seaborn", "sklearn")


def run_recommend(*flags: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """``dlselect recommend --no-probe --format json FLAGS`` run in a fresh interpreter: the
    process, and which of ``LIBRARY`` it had imported when it was done."""
    probe = ("import sys\nfrom selector.cli.app import main\n"
             f"sys.argv = ['dlselect', 'recommend', '--no-probe', '--format', 'json', "
             f"*{list(flags)!r}]\n"
             "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
             "else:\n    code = 0\n"
             f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({LIBRARY!r}))\n"
             "print('LOADED', code, ','.join(loaded), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONWARNINGS": ""}, timeout=300)
    line = next((x for x in proc.stderr.splitlines() if x.startswith("LOADED ")), None)
    assert line is not None, proc.stderr[-2000:]
    _, code, loaded = (line.split(" ") + [""])[:3]
    assert code == "0", proc.stderr[-2000:]
    return proc, [m for m in loaded.split(",") if m]


def test_recommend_imports_no_scikit_criteria() -> None:
    proc, loaded = run_recommend()
    # The ranking did run (with the numpy kernels), and scikit-criteria stayed out.
    assert '"ranking"' in proc.stdout
    assert loaded == [], proc.stderr[-2000:]


@pytest.mark.parametrize("flags", [("--cross-check",), ("--method", "moora")])
def test_only_the_flags_that_ask_for_scikit_criteria_import_it(flags: tuple[str, ...]) -> None:
    proc, loaded = run_recommend(*flags)
    assert '"ranking"' in proc.stdout
    assert "skcriteria" in loaded
