"""Which interpreters to search, and which frameworks each has, without importing any of them
in the engine's process (a spec lookup in a short-lived child of each interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from selector.errors import DlselectError
from selector.probing.catalog import SPECS
from selector.probing.environment import child_env

INSPECT_TIMEOUT_S = 30.0

# Runs under any Python 3.8+: finds modules and their distribution versions, imports nothing.
_INSPECT = r"""
import importlib.util, importlib.metadata as md, json, sys, platform
wanted = json.loads(sys.argv[1])
found = {}
for module, dists in wanted:
    try:
        present = importlib.util.find_spec(module) is not None
    except Exception:
        present = False
    if not present:
        continue
    version = None
    for dist in dists:
        try:
            version = md.version(dist)
            break
        except md.PackageNotFoundError:
            pass
    found[module] = version or "unknown"
print(json.dumps({"python": platform.python_version(), "found": found}))
"""


class ConfigError(DlselectError):
    """The interpreters config file is unreadable or malformed."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    python: str | None = None
    #: module -> installed version
    found: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def config_path() -> Path:
    env = os.environ.get("DLSELECT_CONFIG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "dlselect" / "config.toml"


def configured_pythons(path: Path | None = None) -> list[str]:
    """``[probe] pythons = [...]`` of the config file; no file means none."""
    path = path or config_path()
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    pythons = data.get("probe", {}).get("pythons", [])
    if not isinstance(pythons, list) or not all(isinstance(p, str) for p in pythons):
        raise ConfigError(f"{path}: probe.pythons must be a list of interpreter paths")
    return [str(Path(p).expanduser()) for p in pythons]


def sibling_environments() -> list[str]:
    """Virtual environments named ``.venv*`` in the working folder and, in a source checkout,
    at the project root (this is how ``make setup``'s .venv-mxnet is found)."""
    roots = [Path.cwd()]
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists():
        roots.append(checkout)
    found: list[str] = []
    for root in roots:
        for python in sorted(root.glob(".venv*/bin/python")):
            found.append(str(python))
    return found


def candidate_interpreters(explicit: list[str]) -> list[str]:
    """Explicit ``--python`` paths first, then the engine's own, the config file's and siblings;
    duplicates (same real file and environment) removed."""
    seen: set[str] = set()
    result: list[str] = []
    for path in [*explicit, sys.executable, *configured_pythons(), *sibling_environments()]:
        # A venv's python is a symlink to the base interpreter, so the real file alone does not
        # identify it; its folder does (bin/python and bin/python3 are the same interpreter).
        key = os.path.dirname(os.path.abspath(path)) + "\0" + os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


def inspect(path: str) -> Interpreter:
    if not Path(path).exists():
        return Interpreter(path, error=f"interpreter not found: {path}")
    wanted = json.dumps([[s.module, list(s.distributions)] for s in SPECS])
    try:
        proc = subprocess.run([path, "-c", _INSPECT, wanted], capture_output=True, text=True,
                              timeout=INSPECT_TIMEOUT_S, env=child_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Interpreter(path, error=f"interpreter {path} did not answer within "
                                       f"{INSPECT_TIMEOUT_S:.0f} s")
    except OSError as exc:
        return Interpreter(path, error=f"cannot run interpreter {path}: {exc.strerror or exc}")
    try:
        data = json.loads(proc.stdout)
        return Interpreter(path, python=str(data["python"]),
                           found={str(k): str(v) for k, v in data["found"].items()})
    except (ValueError, KeyError, TypeError, AttributeError):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Interpreter(path, error=f"interpreter {path} is not a usable Python: {last}")


def discover(explicit: list[str]) -> list[Interpreter]:
    """Every candidate interpreter and what it has. Each look-up starts an interpreter (tens of
    milliseconds), so they run side by side."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(inspect, candidate_interpreters(explicit)))
