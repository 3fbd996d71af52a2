"""The probe programs promise Python 3.8+ (stdlib plus their framework): every probe module
imports under the oldest Python 3.8 or later that this machine has (the framework itself is
not needed to import them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import find_python  # noqa: E402

PROBES = REPO / "probes"


def oldest() -> str | None:
    found = [(v, p) for p in find_python.candidates()
             if (v := find_python.version(p)) is not None and v >= (3, 8)]
    return min(found)[1] if found else None


def test_every_probe_module_imports_under_the_oldest_python() -> None:
    python = oldest()
    if python is None:
        pytest.skip("no Python 3.8 or later found besides the engine's")
    modules = sorted(p.stem for p in PROBES.glob("*.py"))
    code = ("import importlib, sys\n"
            f"sys.path.insert(0, {str(PROBES)!r})\n"
            "bad = []\n"
            f"for m in {modules!r}:\n"
            "    try:\n"
            "        importlib.import_module(m)\n"
            "    except ImportError as exc:\n"
            "        if exc.name not in ('torch', 'tensorflow', 'jax', 'jaxlib', 'mxnet',\n"
            "                            'numba', 'pytensor', 'numpy'):\n"
            "            bad.append(f'{m}: {exc!r}')\n"
            "    except Exception as exc:\n"
            "        bad.append(f'{m}: {exc!r}')\n"
            "print('\\n'.join(bad))\n")
    done = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=str(Path(PROBES).parent), check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"under {python}:\n{done.stdout}"
