"""Which interpreters to search, and which frameworks each has, without importing any of them
in the engine's process (a spec lookup in a short-lived child of each interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
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
    from platformdirs import user_config_dir

    # $XDG_CONFIG_HOME/dlselect on Linux, the platform's own folder elsewhere.
    return Path(user_config_dir("dlselect", appauthor=False)) / "config.toml"


def _probe_config(path: Path | None = None) -> tuple[Path, dict[str, object]]:
    path = path or config_path()
    if not path.exists():
        return path, {}
    from selector.documents import read_document

    data = read_document(path, ConfigError, "config file")
    section = data.get("probe", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: probe must be a table")
    return path, section


def configured_pythons(path: Path | None = None) -> list[str]:
    """``[probe] pythons = [...]`` of the config file; no file means none."""
    path, section = _probe_config(path)
    pythons = section.get("pythons", [])
    if not isinstance(pythons, list) or not all(isinstance(p, str) for p in pythons):
        raise ConfigError(f"{path}: probe.pythons must be a list of interpreter paths")
    return [str(Path(p).expanduser()) for p in pythons]


def configured_discover_here(path: Path | None = None) -> bool:
    """``[probe] discover_here = true``: search the working folder's ``.venv*`` too."""
    path, section = _probe_config(path)
    here = section.get("discover_here", False)
    if not isinstance(here, bool):
        raise ConfigError(f"{path}: probe.discover_here must be true or false")
    return here


def sibling_environments(here: bool = False) -> list[str]:
    """Virtual environments named ``.venv*`` at the project root of a source checkout (this is
    how ``make setup``'s .venv-mxnet is found) and, only when the user opts in (``here``), in
    the working folder. Discovery runs each interpreter it finds: a folder someone else
    prepared (a cloned repository, a download) must not get to run its programs because
    dlselect was started there."""
    roots = [Path.cwd()] if here else []
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists():
        roots.append(checkout)
    found: list[str] = []
    for root in roots:
        for python in sorted(root.glob(".venv*/bin/python")):
            found.append(str(python))
    return found


def candidate_interpreters(explicit: list[str], *, here: bool = False) -> list[str]:
    """Explicit ``--python`` paths first, then the engine's own, the config file's and the
    project's environments (and the working folder's with ``here`` or ``[probe]
    discover_here``); duplicates (same real file and environment) removed."""
    here = here or configured_discover_here()
    seen: set[str] = set()
    result: list[str] = []
    for path in [*explicit, sys.executable, *configured_pythons(), *sibling_environments(here)]:
        # A venv's python is a symlink to the base interpreter, so the real file alone does not
        # identify it; its folder does (bin/python and bin/python3 are the same interpreter),
        # with the folder's own links resolved (a linked environment is the same environment).
        folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
        key = folder + "\0" + os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            result.append(path)
    return result


#: How each interpreter is started to look inside it: isolated (``-I``: neither the working
#: folder nor the user's site-packages on ``sys.path``, no ``PYTHON*`` variables) and without
#: bytecode litter (``-B``, since ``-I`` ignores ``PYTHONDONTWRITEBYTECODE``). With ``-c`` a
#: plain interpreter would put the working folder first on ``sys.path``, and the look-up's
#: ``import json, platform`` would run a ``json.py`` or ``platform.py`` of whatever folder
#: dlselect was started in (a cloned repository, a download).
INSPECT_FLAGS = ("-I", "-B")


def inspect(path: str) -> Interpreter:
    if not Path(path).exists():
        return Interpreter(path, error=f"interpreter not found: {path}")
    wanted = json.dumps([[s.module, list(s.distributions)] for s in SPECS])
    try:
        # In a private, empty folder too (as the probes run): whatever the interpreter looks
        # for in its working folder, nobody else put there.
        tmp = tempfile.TemporaryDirectory(prefix="dlselect-inspect-")
    except OSError as exc:
        return Interpreter(path, error=f"cannot inspect interpreter {path}: no temporary "
                                       f"folder: {exc.strerror or exc}")
    try:
        with tmp:
            # Named from here: a relative path would otherwise be looked up from tmp.
            proc = subprocess.run([os.path.abspath(path), *INSPECT_FLAGS, "-c", _INSPECT, wanted],
                                  capture_output=True, text=True, timeout=INSPECT_TIMEOUT_S,
                                  env=child_env(), stdin=subprocess.DEVNULL, cwd=tmp.name)
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


def discover(explicit: list[str], *, here: bool = False) -> list[Interpreter]:
    """Every candidate interpreter and what it has. Each look-up starts an interpreter (tens of
    milliseconds), so they run side by side."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(inspect, candidate_interpreters(explicit, here=here)))
