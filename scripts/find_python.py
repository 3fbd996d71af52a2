"""Find a Python interpreter on this machine by version, for the Makefile (standard library only).

    python scripts/find_python.py --at-most 3.11   # the newest Python <= 3.11 (for MXNet)
    python scripts/find_python.py --newest         # the newest Python 3 found

Candidates: ``pythonX.Y`` on PATH for X.Y from 3.8 to 3.14, ``python3``, and the interpreters of
pyenv's versions folder (``$PYENV_ROOT`` or ``~/.pyenv``). Each is run once to ask its version
(pyenv shims that cannot run are skipped). Prints the chosen interpreter's path and exits 0;
prints nothing, says why on stderr and exits 1 when none fits.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys

ASK = "import sys; print('%d.%d' % sys.version_info[:2])"


def candidates() -> list[str]:
    found = [shutil.which(f"python3.{minor}") for minor in range(8, 15)]
    found.append(shutil.which("python3"))
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    return list(dict.fromkeys(p for p in found if p))


def version(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run([python, "-c", ASK], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    try:
        major, minor = done.stdout.strip().split(".")
        return int(major), int(minor)
    except ValueError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--at-most", metavar="X.Y")
    group.add_argument("--newest", action="store_true")
    args = parser.parse_args()
    found = {p: v for p in candidates() if (v := version(p)) is not None and v[0] == 3}
    if args.at_most:
        limit = tuple(int(x) for x in args.at_most.split("."))
        found = {p: v for p, v in found.items() if v <= limit}
    if not found:
        seen = ", ".join(candidates()) or "none"
        wanted = f"Python <= {args.at_most}" if args.at_most else "Python 3"
        print(f"no {wanted} found (looked at: {seen})", file=sys.stderr)
        return 1
    print(max(found, key=lambda p: found[p]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
