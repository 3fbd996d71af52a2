"""What ``recommend`` may not import: scikit-learn (about 0.2 s, pulled in by scikit-criteria's
scalers and VIKOR, none of which the recommendation needs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_recommend_imports_no_scikit_learn() -> None:
    probe = ("import sys\nfrom selector.cli.app import main\n"
             "sys.argv = ['dlselect', 'recommend', '--no-probe', '--format', 'json']\n"
             "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
             "else:\n    code = 0\n"
             "print('LOADED', code, 'skcriteria' in sys.modules,"
             " sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')[:3],"
             " file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONWARNINGS": ""}, timeout=300)
    # The ranking did run (through scikit-criteria), and scikit-learn stayed out.
    assert '"ranking"' in proc.stdout
    assert "LOADED 0 True []" in proc.stderr, proc.stderr[-2000:]
