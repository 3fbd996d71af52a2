"""a. CLI latency and memory: ``dlselect --help``, and ``recommend --no-probe`` against
``import skcriteria`` (what recommend cost before the numpy kernels became the scores, and no
longer imports) and against the floor, ``import numpy, pydantic`` (what it cannot do without)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from _common import (
    DLSELECT,
    FLOOR_IMPORT,
    HEAVY,
    HELP_TARGET_S,
    PY,
    RECOMMEND_RATIO_TARGET,
    RECOMMEND_RSS_TARGET_MB,
    ROOT,
    Section,
    failures,
    fmt_opt,
    interleaved,
    median_or_none,
    needs_reason,
    ok_values,
    walls,
)
from _proc import run
from _stats import Figure, fmt, ratios

HELP_CHECK = r"""
import contextlib, io, json, sys
sys.argv = ["dlselect", "--help"]
from selector.cli.app import main
buf, code = io.StringIO(), None
with contextlib.redirect_stdout(buf):
    try:
        main()
    except SystemExit as exc:
        code = exc.code
heavy = json.loads(HEAVY)
print(json.dumps({"exit": code, "usage": "Usage" in buf.getvalue(), "modules": len(sys.modules),
                  "heavy": [m for m in heavy if m in sys.modules]}))
"""


RECOMMEND_INPROCESS = r"""
import contextlib, io, sys
sys.argv = ["dlselect", "recommend", "--no-probe", "--format", "json"]
from selector.cli.app import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
"""


def cached_bytecode_env(folder: str) -> dict[str, str]:
    """The environment with Python's bytecode cache on and kept in ``folder``.

    An installed package has its modules compiled (pip writes the ``.pyc`` files), and so has
    scikit-criteria here; a checkout run with ``PYTHONDONTWRITEBYTECODE`` set would compile every
    ``selector`` module from source on each run, a cost (about 0.07 s) that the imports it is
    compared with do not pay. ``PYTHONPYCACHEPREFIX`` keeps the cache out of the checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = folder
    return env


def top_level_imports(python: Path, code: str,
                      env: Mapping[str, str] | None = None) -> list[tuple[str, float]] | str:
    """Top-level imports (not nested in another import) of ``code`` by ``-X importtime``,
    slowest first, as (module, cumulative seconds); a failure line instead if it fails."""
    try:
        proc = subprocess.run([str(python), "-X", "importtime", "-c", code], cwd=ROOT,
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, env=None if env is None else dict(env))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`-X importtime` run failed: {exc}"
    if proc.returncode != 0:
        return f"`-X importtime` run exited {proc.returncode}"
    found = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if (not line.startswith("import time:") or len(parts) != 3
                or parts[2].startswith("  ") or not parts[1].strip().isdigit()):
            continue
        found.append((parts[2].strip(), int(parts[1]) / 1e6))
    return sorted(found, key=lambda kv: -kv[1])


def measure(runs: int) -> Section:
    with tempfile.TemporaryDirectory(prefix="dlselect-pycache-") as cache:
        return _measure(runs, cached_bytecode_env(cache))


def _measure(runs: int, env: dict[str, str]) -> Section:
    from selector.api import DEFAULT_SAMPLES

    sec = Section()
    rec = [DLSELECT, "recommend", "--no-probe", "--format", "json"]
    commands = {
        "help": [DLSELECT, "--help"],
        "bare": [PY, "-c", "pass"],
        "recommend": rec,
        "skcriteria": [PY, "-c", "import skcriteria"],
        "floor": [PY, "-c", FLOOR_IMPORT],
        "samples0": [*rec, "--samples", "0"],
    }
    for argv in commands.values():  # untimed: fills the bytecode cache
        run(argv, timeout_s=180, env=env, cwd=ROOT)
    help_runs = interleaved(2 * runs, {
        "help": lambda: run(commands["help"], timeout_s=30, env=env, cwd=ROOT),
        "bare": lambda: run(commands["bare"], timeout_s=30, env=env, cwd=ROOT),
    }, "a: --help")
    help_s, bare_s = walls(help_runs["help"]), walls(help_runs["bare"])
    help_fig = Figure("a.help", "a. `dlselect --help` wall time", "s", ok_values(help_s),
                      f"< {HELP_TARGET_S} s", lambda m: m < HELP_TARGET_S, 5,
                      failures(help_runs["help"]))
    bare_fig = Figure("a.bare", "a. `python -c pass` wall time (for comparison)", "s",
                      ok_values(bare_s), required_runs=5, failures=failures(help_runs["bare"]))

    check = run([PY, "-c", HELP_CHECK.replace("HEAVY", repr(json.dumps(HEAVY)))],
                timeout_s=60, env=env, cwd=ROOT)
    heavy: list[str] | None = None
    modules = None
    if check.ok:
        data = json.loads(check.stdout)
        heavy, modules = data["heavy"], data["modules"]
        if data["exit"] not in (0, None) or not data["usage"]:
            heavy = None
            check_failure = f"the --help path exited {data['exit']!r} without a usage text"
        else:
            check_failure = ""
    else:
        check_failure = check.failure()
    mod_fig = Figure("a.modules", "a. heavy modules loaded by the `--help` path", "",
                     target="none of " + ", ".join(HEAVY), required_runs=1)
    if heavy is not None:
        mod_fig.values = [float(len(heavy))]
        mod_fig.check = lambda m: m == 0
    else:
        mod_fig.failures.append(check_failure)

    rounds = interleaved(runs, {
        "recommend": lambda: run(commands["recommend"], timeout_s=180, env=env, cwd=ROOT),
        "skcriteria": lambda: run(commands["skcriteria"], timeout_s=120, env=env, cwd=ROOT),
        "floor": lambda: run(commands["floor"], timeout_s=120, env=env, cwd=ROOT),
        "samples0": lambda: run(commands["samples0"], timeout_s=180, env=env, cwd=ROOT),
    }, "a: recommend")
    bad_json = 0
    for r in rounds["recommend"]:
        if r.ok:
            try:
                if "robustness" not in json.loads(r.stdout):
                    bad_json += 1
            except ValueError:
                bad_json += 1
    rec_s, sk_s, floor_s, s0_s = (walls(rounds[k])
                                  for k in ("recommend", "skcriteria", "floor", "samples0"))
    ratio_fig = Figure("a.ratio", "a. `recommend --no-probe --format json` / "
                       "`python -c \"import skcriteria\"`", "x", ratios(rec_s, sk_s),
                       f"<= {RECOMMEND_RATIO_TARGET}x", lambda m: m <= RECOMMEND_RATIO_TARGET, 5,
                       failures(rounds["recommend"]) + failures(rounds["skcriteria"]))
    floor_fig = Figure("a.floor", "a. the same / the floor, `python -c \"import numpy, "
                       "pydantic\"` (for information)", "x", ratios(rec_s, floor_s),
                       failures=failures(rounds["floor"]))
    ratio0_fig = Figure("a.ratio0", "a. `recommend ... --samples 0` (no SMAA) / the floor (for "
                        "information)", "x", ratios(s0_s, floor_s),
                        failures=failures(rounds["samples0"]))
    rss = [r.maxrss_mb for r in rounds["recommend"] if r.ok]
    rss_fig = Figure("a.rss", "a. peak memory (max RSS) of `recommend --no-probe`", "MB", rss,
                     f"< {RECOMMEND_RSS_TARGET_MB:.0f} MB",
                     lambda m: m < RECOMMEND_RSS_TARGET_MB, 5, failures(rounds["recommend"]))
    sk_rss, floor_rss, s0_rss = ([r.maxrss_mb for r in rounds[k] if r.ok]
                                 for k in ("skcriteria", "floor", "samples0"))
    imports = top_level_imports(PY, RECOMMEND_INPROCESS, env)
    library = False  # scikit-criteria on the recommend path, which it must not be
    if isinstance(imports, str):
        import_text = f"not available ({imports})"
    else:
        beyond = [(m, t) for m, t in imports if t >= 0.02]
        library = any(m.split(".")[0] == "skcriteria" for m, _ in imports)
        import_text = (", ".join(f"`{m}` {fmt(t, 's')}" for m, t in beyond[:6])
                       + (f"; {len(beyond) - 6} more of >= 20 ms" if len(beyond) > 6 else "")
                       + ("; scikit-criteria among them" if library
                          else "; scikit-criteria not imported"))

    # Likely reasons, from the same runs.
    m_help, m_bare = median_or_none(help_s), median_or_none(bare_s)
    if needs_reason(help_fig) and m_help and m_bare:
        help_fig.reason = (
            f"`--help` took {fmt(m_help, 's')} against {fmt(m_bare, 's')} for a bare start of "
            f"the same interpreter, so {fmt(m_help - m_bare, 's')} is dlselect's import chain "
            f"({modules} modules in `sys.modules` after `--help`"
            + (f"; heavy ones: {', '.join(heavy)}" if heavy else "; none of the heavy ones")
            + "): typer, click and rich plus every command module imported by "
              "`selector/cli/app.py` at start-up.")
    if needs_reason(mod_fig) and heavy:
        mod_fig.reason = (f"the `--help` path imports {', '.join(heavy)}; a command module "
                          "imported at start-up by `selector/cli/app.py` imports it at module "
                          "level instead of inside the command.")
    m_rec, m_sk, m_floor, m_s0 = (median_or_none(x) for x in (rec_s, sk_s, floor_s, s0_s))
    if needs_reason(ratio_fig) and m_rec and m_sk and m_floor and m_s0:
        ratio_fig.reason = (
            ("scikit-criteria is imported on the `recommend` path again (`-X importtime`), "
             "which only `--cross-check` and its `--method`s should do. " if library else "")
            + f"medians: recommend {fmt(m_rec, 's')}, the same with `--samples 0` "
            f"{fmt(m_s0, 's')}, the floor (`{FLOOR_IMPORT}`) {fmt(m_floor, 's')}, `import "
            f"skcriteria` {fmt(m_sk, 's')}. The robustness analysis (SMAA over 2 x "
            f"{DEFAULT_SAMPLES:,} weight samples, the critical-weight grid search and the "
            f"four-method agreement) costs about {fmt(m_rec - m_s0, 's')}; the rest of the "
            "pipeline beyond the floor (interpreter and CLI start, typer, the pydantic models, "
            f"the knowledge base, ranking, JSON) about {fmt(m_s0 - m_floor, 's')}. The imports, "
            f"by `-X importtime` (one run, top-level imports of >= 20 ms): {import_text}.")
    if needs_reason(rss_fig) and rss and floor_rss:
        rss_fig.reason = ((f"scikit-criteria is imported on the `recommend` path again "
                           f"(`import skcriteria` alone peaks at "
                           f"{fmt(statistics.median(sk_rss), 'MB') if sk_rss else '?'}). "
                           if library else "")
                          + f"The floor alone peaks at {fmt(statistics.median(floor_rss), 'MB')},"
                          f" `--samples 0` at "
                          f"{fmt(statistics.median(s0_rss), 'MB') if s0_rss else '?'}; the "
                          "rest is dlselect's own work (robustness arrays, models).")

    sec.figures = [help_fig, bare_fig, mod_fig, ratio_fig, floor_fig, ratio0_fig, rss_fig]
    sec.lines = [
        f"`dlselect --help` and `python -c pass` (`{PY.relative_to(ROOT)}`), alternated, "
        f"{2 * runs} runs each. Then, in a child process, the `--help` path run in-process "
        "(`sys.argv = ['dlselect', '--help']`, `selector.cli.app.main()`), after which "
        f"`sys.modules` held {modules if modules is not None else '?'} modules; of "
        f"{', '.join(f'`{m}`' for m in HEAVY)}: "
        + ("none" if heavy == [] else ", ".join(f"`{m}`" for m in heavy) if heavy
           else f"not known ({check_failure})") + ".",
        "",
        "`dlselect recommend --no-probe --format json` (built-in defaults, which include the "
        f"robustness analysis with {DEFAULT_SAMPLES:,} weight samples), `python -c \"import "
        f"skcriteria\"`, the floor `python -c \"{FLOOR_IMPORT}\"` and `recommend ... "
        "--samples 0` rotated (A B C D, B C D A, ...), "
        f"{runs} runs each; each ratio is taken within one round. Peak memory is each "
        "process's `ru_maxrss` from `wait4`. The numpy kernels are the scores, so `recommend` "
        "does not import scikit-criteria (only `--cross-check` and scikit-criteria's "
        "`--method`s do): its import is the yardstick of what `recommend` cost when it did, "
        "and the floor the two libraries it cannot start without.",
        "",
        "Every command of this part runs as an installed package would: with Python's bytecode "
        "cache on (in a temporary `PYTHONPYCACHEPREFIX`, `PYTHONDONTWRITEBYTECODE` unset) and "
        "filled by one untimed run of each command first, so neither side compiles its modules "
        "from source in the timed runs.",
        "",
        "| command | median wall | median max RSS |",
        "|---|---|---|",
        f"| `dlselect recommend --no-probe --format json` | {fmt_opt(m_rec, 's')} | "
        f"{fmt_opt(median_or_none(rss), 'MB')} |",
        f"| `... --samples 0` | {fmt_opt(m_s0, 's')} | "
        f"{fmt_opt(median_or_none(s0_rss), 'MB')} |",
        f"| `python -c \"import skcriteria\"` | {fmt_opt(m_sk, 's')} | "
        f"{fmt_opt(median_or_none(sk_rss), 'MB')} |",
        f"| `python -c \"{FLOOR_IMPORT}\"` | {fmt_opt(m_floor, 's')} | "
        f"{fmt_opt(median_or_none(floor_rss), 'MB')} |",
        "",
        "Where `recommend` spends its import time (`python -X importtime`, the command run "
        f"in-process once; top-level imports, cumulative): {import_text}.",
    ]
    if bad_json:
        sec.lines += ["", f"**{bad_json} recommend run(s) printed no JSON with `robustness`.**"]
    return sec
