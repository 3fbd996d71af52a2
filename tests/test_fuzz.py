"""Fuzzing the loaders at the trust boundary.

Strategies build valid knowledge snapshots, overlays, answers files, probe-results files and probe
documents from the schemas, then mutate them (a key deleted or added, a value of another type,
numbers out of range, nesting deeper than the recursion limit, control characters, odd dates) or
corrupt their bytes. Two properties: a valid document loads and keeps its key facts; any other
file is either accepted or refused with the project's own error, whose message starts with the
file's path and a location (``path: scores[2].value: ...``). A probe document never raises: it
becomes an outcome, ok or failed with a reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from selector.answers import Answers, load_answers, to_toml
from selector.cli.recommend import decide_from_answers
from selector.errors import DlselectError, KnowledgeError, ProfileError
from selector.knowledge import load_snapshot
from selector.models import Snapshot
from selector.probing.models import Outcome, ProbeStatus
from selector.probing.results import ProbeResultsError, load_report
from selector.probing.runner import Job, read_document
from selector.vocab import Objective, Status, SupportLevel

Strategy = st.SearchStrategy
Doc = Any  # a JSON-like tree: dict, list, str, int, float, bool, None, date, Raw
Loc = tuple[str | int, ...]

VALID = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- writing files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Text written verbatim, for what no serialiser produces: a 5000-digit number, nesting
    deeper than Python's recursion limit, an escape TOML or JSON refuses."""

    toml: str
    json: str


@dataclass(frozen=True)
class File:
    """What a test writes: the bytes and the suffix the loader dispatches on."""

    suffix: str
    content: bytes


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(value: Doc) -> str:
    """One line of TOML: tables inline, None dropped (TOML has no null)."""
    if isinstance(value, Raw):
        return value.toml
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}"
                               for k, v in value.items() if v is not None) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_text(doc: Doc) -> str:
    if doc is None:
        return ""
    if not isinstance(doc, dict):
        return _toml_value(doc) + "\n"  # not a table: invalid on purpose
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in doc.items() if v is not None)


def json_text(doc: Doc) -> str:
    raws: list[str] = []

    def default(value: object) -> str:
        if isinstance(value, Raw):
            raws.append(value.json)
            return f"@@dlselect-raw-{len(raws) - 1}@@"
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    text = json.dumps(doc, default=default)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@dlselect-raw-{i}@@"', raw, 1)
    return text


def serialise(doc: Doc, suffix: str) -> File:
    text = toml_text(doc) if suffix == ".toml" else json_text(doc)
    return File(suffix, text.encode("utf-8"))


@contextmanager
def written(file: File) -> Iterator[Path]:
    # A directory per example: hypothesis runs many examples in one function-scoped fixture.
    with tempfile.TemporaryDirectory(prefix="dlselect-fuzz-") as tmp:
        path = Path(tmp) / f"doc{file.suffix}"
        path.write_bytes(file.content)
        yield path


# --- valid documents ---------------------------------------------------------------------------

IDENT = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,11}", fullmatch=True)
# Text is stripped by the models: keep it free of surrounding space and control characters so
# that what is written is what comes back.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
               min_size=1, max_size=16).filter(lambda s: s == s.strip() and s != "")
ANY_TEXT = st.text(max_size=16)
DATES = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
JSON_SCALAR = (st.none() | st.booleans() | st.integers(-(2**53), 2**53)
               | st.floats(allow_nan=False, allow_infinity=False) | ANY_TEXT)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=6)


def _vocabulary() -> dict[str, list[str]]:
    """The built-in current snapshot's target ids by axis: the words fuzzed answers and
    snapshots use (the vocabulary is knowledge, not code)."""
    snap = load_snapshot("current")
    result: dict[str, list[str]] = {}
    for target in snap.targets:
        result.setdefault(target.axis.value, []).append(target.id)
    return result


VOCAB = _vocabulary()


def _values(enum: type[Any]) -> list[str]:
    return [member.value for member in enum]


def _maybe(draw: st.DrawFn, target: dict[str, Any], key: str, strategy: Strategy[Any]) -> None:
    if draw(st.booleans()):
        target[key] = draw(strategy)


@cache
def current() -> Snapshot:
    return load_snapshot("current")


@st.composite
def sources(draw: st.DrawFn, ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for sid in ids:
        source: dict[str, Any] = {"id": sid, "title": draw(TEXT)}
        for key in ("author", "publisher", "url", "note"):
            _maybe(draw, source, key, TEXT)
        _maybe(draw, source, "published", DATES)
        out.append(source)
    return out


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    """A complete snapshot: every framework scored on every criterion, every reference known."""
    as_of = draw(DATES)
    source_ids = draw(st.lists(IDENT, min_size=1, max_size=3, unique=True))
    criterion_ids = draw(st.lists(IDENT, min_size=1, max_size=4, unique=True))
    framework_ids = draw(st.lists(IDENT, min_size=1, max_size=4, unique=True))
    low = draw(st.integers(-5, 5))
    high = low + draw(st.integers(1, 10))
    some_source = st.sampled_from(source_ids)
    frameworks = []
    for fid in framework_ids:
        fw: dict[str, Any] = {
            "id": fid, "name": draw(TEXT), "status": draw(st.sampled_from(_values(Status))),
        }
        _maybe(draw, fw, "status_as_of", DATES)
        _maybe(draw, fw, "status_source", some_source)
        _maybe(draw, fw, "status_note", TEXT)
        frameworks.append(fw)
    support = []
    for fid in framework_ids:
        for axis, least in (("language", 1), ("workload", 0), ("hardware", 0),
                            ("deployment", 0)):
            for target in draw(st.lists(st.sampled_from(VOCAB[axis]), min_size=least,
                                        max_size=3, unique=True)):
                level = draw(st.sampled_from(_values(SupportLevel)))
                entry: dict[str, Any] = {
                    "framework": fid, "axis": axis, "target": target, "level": level,
                    "source": draw(some_source),
                    "evidence_date": draw(st.dates(dt.date(2000, 1, 1), as_of))}
                if level in ("binding", "bridge"):
                    entry["via"] = draw(TEXT)
                _maybe(draw, entry, "note", TEXT)
                support.append(entry)
    criteria = [{"id": cid, "name": draw(TEXT), "description": draw(TEXT),
                 "objective": draw(st.sampled_from(_values(Objective))),
                 "default_weight": draw(st.integers(0, 5) | st.floats(0, 10))}
                for cid in criterion_ids]
    scores = []
    for fid in framework_ids:
        for cid in criterion_ids:
            score: dict[str, Any] = {
                "framework": fid, "criterion": cid,
                "value": draw(st.integers(low, high) | st.floats(low, high)),
                "source": draw(some_source),
                "evidence_date": draw(st.dates(dt.date(2000, 1, 1), as_of)),
                "rationale": draw(TEXT),
            }
            _maybe(draw, score, "quote", TEXT)
            scores.append(score)
    factors = st.dictionaries(st.sampled_from(criterion_ids), st.floats(0, 5), max_size=2)
    emphasis = {axis: draw(st.dictionaries(st.sampled_from(VOCAB[axis]), factors, max_size=2))
                for axis in ("workload", "hardware", "deployment")}
    targets = [{"axis": axis, "id": tid, "name": tid, "meaning": "m"}
               for axis in ("language", "workload", "hardware", "deployment")
               for tid in VOCAB[axis]]
    doc: dict[str, Any] = {"schema_version": 3}
    _maybe(draw, doc, "kind", st.just("snapshot"))
    doc.update({
        "id": draw(IDENT), "title": draw(TEXT), "as_of": as_of, "read_on": as_of,
        "description": draw(TEXT), "scale": {"min": low, "max": high}, "emphasis": emphasis,
        "sources": draw(sources(source_ids)), "criteria": criteria, "frameworks": frameworks,
        "targets": targets,
        "support": draw(st.permutations(support)), "scores": draw(st.permutations(scores)),
    })
    return doc


@st.composite
def overlays(draw: st.DrawFn) -> dict[str, Any]:
    """An overlay of the built-in ``current`` snapshot, with its real ids."""
    base = current()
    base_sources = [s.id for s in base.sources]
    own = draw(st.lists(IDENT.filter(lambda s: s not in base_sources), max_size=2, unique=True))
    pairs = draw(st.lists(st.tuples(st.sampled_from([f.id for f in base.frameworks]),
                                    st.sampled_from([c.id for c in base.criteria
                                                     if c.fit is None])),
                          min_size=1, max_size=4, unique=True))
    scores = []
    for fid, cid in pairs:
        score: dict[str, Any] = {
            "framework": fid, "criterion": cid,
            "value": draw(st.floats(base.scale.min, base.scale.max)),
            "source": draw(st.sampled_from(own + base_sources[:3])),
            "evidence_date": draw(DATES), "rationale": draw(TEXT),
        }
        _maybe(draw, score, "quote", TEXT)
        scores.append(score)
    doc: dict[str, Any] = {"schema_version": 3, "kind": "overlay", "id": draw(IDENT),
                           "title": draw(TEXT), "base": "current", "as_of": draw(DATES)}
    with_sources: bool = bool(own) or draw(st.booleans())
    if with_sources:
        doc["sources"] = draw(sources(own))
    doc["scores"] = scores
    return doc


# Known words half the time, so that the answers reach the ranking, not only the profile's
# checks (the answers are run end to end: the way `--seed -1` once crashed).
ANSWER_FIELDS: dict[str, Strategy[Any]] = {
    "snapshot": st.sampled_from(["current", "2017"]) | ANY_TEXT,
    "languages": st.lists(st.sampled_from(VOCAB["language"]) | ANY_TEXT, max_size=3),
    "runtime_languages": st.lists(st.sampled_from(VOCAB["language"]) | ANY_TEXT, max_size=2),
    "task": st.sampled_from(["cnn", "rnn", "transformer"]) | ANY_TEXT,
    "workloads": st.lists(st.sampled_from(VOCAB["workload"]) | ANY_TEXT, max_size=2),
    "hardware": st.lists(st.sampled_from([*VOCAB["hardware"], "gpu", "multi-gpu"]) | ANY_TEXT,
                         max_size=3),
    "scale": st.lists(st.sampled_from(VOCAB["scale"]) | ANY_TEXT, max_size=2),
    "deployment": st.lists(st.sampled_from([*VOCAB["deployment"], "mobile"]) | ANY_TEXT,
                           max_size=3),
    "existing": st.lists(st.sampled_from(VOCAB["existing"]) | ANY_TEXT, max_size=2),
    "weights": st.dictionaries(st.sampled_from(["speed", "keras", "cnn", "rnn"]) | ANY_TEXT,
                               st.integers(-(10**6), 10**6) | st.floats(allow_nan=False),
                               max_size=3),
    "method": st.sampled_from(["topsis", "wsm"]) | ANY_TEXT,
    "allow_retired": st.booleans(),
    "probe": st.booleans(),
    "budget": ANY_TEXT,
    "samples": st.integers(0, 10_000_000),
    "seed": st.integers(0, 2**63 - 1),
}


@st.composite
def answers_docs(draw: st.DrawFn) -> dict[str, Any]:
    """Any subset of the fields of ``Answers`` (the loader checks types; the profile, meaning)."""
    doc: dict[str, Any] = {"schema_version": 1}
    for key, strategy in ANSWER_FIELDS.items():
        _maybe(draw, doc, key, strategy)
    return doc


# Within the bounds of selector/probing/models.py (a figure beyond any machine is refused).
POSITIVE = st.floats(1e-9, 1e12)
GFLOPS = st.floats(1e-9, 1e7)
SECONDS = st.floats(1e-9, 86_400)
NON_NEGATIVE = st.floats(0, 86_400)
OPS = st.sampled_from(["gemm", "conv2d", "lstm", "attention"])
DEVICES = st.fixed_dictionaries(
    {"kind": st.sampled_from(["cpu", "gpu"]), "name": ANY_TEXT},
    optional={"threads": st.none() | st.integers(1, 256),
              "memory_bytes": st.none() | st.integers(0, 2**40),
              "index": st.none() | st.integers(0, 8)})
OP_RESULTS = st.fixed_dictionaries(
    {"device": st.sampled_from(["cpu", "gpu:0"]), "dtype": st.sampled_from(["float32", "bf16"]),
     "flops": POSITIVE, "first_call_s": NON_NEGATIVE, "median_s": SECONDS,
     "iqr_s": NON_NEGATIVE, "samples": st.integers(1, 1000), "inner_loops": st.integers(1, 100),
     "gflops": GFLOPS, "unstable": st.booleans()},
    optional={"params": st.dictionaries(ANY_TEXT, JSON_VALUE, max_size=3),
              "kernel": st.none() | ANY_TEXT, "note": st.none() | ANY_TEXT})
# Real probe names half the time, so that the figures reach the ranking.
PROBE_NAMES = st.sampled_from(["torch", "tensorflow", "jax", "numba", "mxnet", "pytensor"])
OUTCOMES = st.fixed_dictionaries(
    {"framework": PROBE_NAMES | IDENT, "status": st.sampled_from(_values(ProbeStatus))},
    optional={"version": st.none() | ANY_TEXT, "interpreter": st.none() | ANY_TEXT,
              "reason": st.none() | ANY_TEXT, "stands_for": st.none() | IDENT,
              "devices": st.lists(DEVICES, max_size=2),
              "ops": st.dictionaries(OPS, OP_RESULTS, max_size=2),
              "op_errors": st.dictionaries(OPS, ANY_TEXT, max_size=2),
              "cached": st.booleans(), "elapsed_s": st.none() | NON_NEGATIVE})
BUDGETS = st.sampled_from(["quick", "standard", "thorough"])


def probe_reports() -> Strategy[dict[str, Any]]:
    """What ``dlselect probe --format json`` writes."""
    return st.fixed_dictionaries(
        {"schema_version": st.just(1), "tool": st.just("dlselect"),
         "host": st.dictionaries(ANY_TEXT, JSON_VALUE, max_size=3), "budget": BUDGETS,
         "results": st.lists(OUTCOMES, max_size=3)},
        optional={"warnings": st.lists(ANY_TEXT, max_size=2)})


PROBED = "fake"  # the framework every probe job and document is about


def probe_documents() -> Strategy[dict[str, Any]]:
    """What a probe program writes to its --output file."""
    str_map = st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=2)
    return st.fixed_dictionaries(
        {"schema_version": st.just(1), "probe": IDENT, "framework": st.just(PROBED),
         "version": ANY_TEXT, "budget": BUDGETS,
         "device_requested": st.sampled_from(["auto", "cpu", "gpu"]),
         "devices": st.lists(DEVICES, max_size=2),
         "ops": st.dictionaries(OPS, OP_RESULTS, max_size=3), "elapsed_s": NON_NEGATIVE},
        optional={"stands_for": st.none() | IDENT,
                  "build": st.dictionaries(ANY_TEXT, JSON_VALUE, max_size=2),
                  "python": str_map, "threads": st.dictionaries(ANY_TEXT, JSON_VALUE, max_size=2),
                  "env": str_map, "unsupported_ops": st.lists(OPS, max_size=2),
                  "op_errors": st.dictionaries(OPS, ANY_TEXT, max_size=2)})


# --- mutations ---------------------------------------------------------------------------------

HUGE_INT = Raw("9" * 5000, "9" * 5000)  # over int()'s 4300-digit limit


def _deep(depth: int) -> Raw:
    return Raw(toml="[" * depth + "]" * depth, json="[" * depth + "]" * depth)


def _deep_table(depth: int) -> Raw:
    return Raw(toml="{a = " * depth + "1" + "}" * depth, json='{"a": ' * depth + "1" + "}" * depth)


LONE_SURROGATE = Raw(toml='"\\ud800"', json='"\\ud800"')
WEIRD_TEXT = st.sampled_from([
    "", " ", "\x00", "\t\n", "\x7f", "\u202e", "\ufeff", "\u0085", "\u2028", "é", "😀",
    "a" * 10_000, "../../etc/passwd", "${HOME}", "\\", '"', "'", "NaN", "1",
]) | st.text(min_size=1, max_size=12) | st.just(LONE_SURROGATE)
ODD_NUMBERS = st.sampled_from([
    -1, 0, -0.0, 1e-300, 5e-324, -1e-9, 10**6, 10**19, -(2**63), 2**63 - 1, 2**64, 10**30,
    1e16, 1e308, -1e308, math.inf, -math.inf, math.nan, True, False, HUGE_INT,
    Raw("1e400", "1e400"), Raw("-1e400", "-1e400"), Raw("0x10", "0x10"), Raw("1_000", "1_000"),
])
ODD_DATES = st.sampled_from([
    "2020-13-01", "2020-02-30", "01/02/2020", "2020-1-1", "20200101", "2020-01-01T25:00:00",
    "2020-01-01T00:00:00", "2020-01-01T10:00:00+02:00", "0000-01-01", "9999-12-31",
    "+2020-01-01", "", "yesterday", 0, 1577836800, -1, 10**12, 1e20,
    dt.datetime(2020, 1, 1, 10, 30), dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.time(12, 0),
    Raw("2020-02-30", '"2020-02-30"'), Raw("1979-05-27T07:32:00Z", '"1979-05-27T07:32:00Z"'),
]) | st.dates() | st.datetimes()
ANY_VALUE: Strategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT, WEIRD_TEXT, ODD_NUMBERS,
    ODD_DATES, st.lists(JSON_SCALAR, max_size=3), st.dictionaries(ANY_TEXT, JSON_SCALAR,
                                                                  max_size=3),
    st.sampled_from([[], {}, [[]], [{}], {"": None}]),
    st.sampled_from([_deep(30), _deep(5000), _deep_table(30), _deep_table(5000)]),
)
BAD_VERSIONS = st.sampled_from([0, 2, 99, -1, "1", "v1", 1.0, 1.5, True, None, [1], {"v": 1},
                                10**30, HUGE_INT, math.nan])
# Hypothesis draws the first of a choice far more often than the others: the first mutation
# and the first location are the ones most often taken. Lead with mutations that still let the
# document reach the loader's cross-checks, not with deleting schema_version.
MUTATIONS = ["text", "date", "out_of_range", "duplicate", "delete", "unknown_key", "retype",
             "empty", "deep", "schema_version"]


#: How deep ``_locations`` walks a document.
MAX_DEPTH = 64


def _locations(node: Doc, here: Loc = ()) -> list[Loc]:
    """Every place in the document, the last entries first (see MUTATIONS); the version is
    left to its own mutation, since the loaders check it before anything else."""
    found = [here]
    if len(here) >= MAX_DEPTH:
        # A document that an earlier "deep" mutation nested is not walked to its bottom: its top
        # places are enough to mutate, and walking on would exhaust Python's recursion limit.
        return found
    if isinstance(node, dict):
        for key, value in reversed(node.items()):
            if here or key != "schema_version":
                found += _locations(value, (*here, key))
    elif isinstance(node, list):
        for i in reversed(range(len(node))):
            found += _locations(node[i], (*here, i))
    return found


def _get(doc: Doc, loc: Loc) -> Doc:
    for part in loc:
        doc = doc[part]
    return doc


def _set(doc: Doc, loc: Loc, value: Doc) -> Doc:
    if not loc:
        return value
    _get(doc, loc[:-1])[loc[-1]] = value
    return doc


def _is_number(value: Doc) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


UNKNOWN_KEYS = st.sampled_from(["extra", "Schema_Version", "", " ", "überzählig", "a.b",
                                "__class__"]) | ANY_TEXT
DEEP_VALUES = st.sampled_from([make(depth) for depth in (20, 200, 3000)
                               for make in (_deep, _deep_table)])
#: Where each mutation applies; the others apply anywhere below the top.
APPLIES: dict[str, Callable[[Doc], bool]] = {
    "text": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, dt.date | str),
    "out_of_range": _is_number,
    "duplicate": lambda v: isinstance(v, list) and len(v) > 0,
    "unknown_key": lambda v: isinstance(v, dict),
    "empty": lambda v: isinstance(v, list | dict),
}
REPLACEMENTS: dict[str, Strategy[Any]] = {
    "text": WEIRD_TEXT, "date": ODD_DATES, "out_of_range": ODD_NUMBERS, "deep": DEEP_VALUES,
    "retype": ANY_VALUE,
}


@st.composite
def mutated(draw: st.DrawFn, documents: Strategy[Doc]) -> Doc:
    """A valid document with one to three mutations anywhere in it."""
    doc = copy.deepcopy(draw(documents))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "schema_version" and isinstance(doc, dict):
            doc["schema_version"] = draw(BAD_VERSIONS)
            continue
        places = _locations(doc)
        if kind != "unknown_key":  # the top is only a place to add a key to
            places = places[1:]
        test = APPLIES.get(kind)
        fitting = [loc for loc in places if test is None or test(_get(doc, loc))]
        if not fitting or kind not in (*APPLIES, *REPLACEMENTS, "delete"):
            kind, fitting = "retype", places or [()]
        loc = draw(st.sampled_from(fitting))
        target = _get(doc, loc)
        if kind == "delete":
            del _get(doc, loc[:-1])[loc[-1]]
        elif kind == "unknown_key":
            target[draw(UNKNOWN_KEYS)] = draw(ANY_VALUE)
        elif kind == "duplicate":
            target.insert(draw(st.integers(0, len(target))),
                          copy.deepcopy(draw(st.sampled_from(target))))
        elif kind == "empty":
            doc = _set(doc, loc, [] if isinstance(target, list) else {})
        else:
            doc = _set(doc, loc, draw(REPLACEMENTS[kind]))
    return doc


INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]


@st.composite
def corrupted(draw: st.DrawFn, file: File) -> File:
    """The bytes of a file damaged the way disks, editors and copy-paste damage them."""
    data = file.content
    at = draw(st.integers(0, len(data)))
    # Not "empty" first: the first choice is drawn far more often (see MUTATIONS).
    kind = draw(st.sampled_from(["overwrite", "insert", "truncate", "invalid_utf8", "random",
                                 "bom", "utf16", "nul", "empty"]))
    if kind == "empty":
        data = b""
    elif kind == "truncate":
        data = data[:draw(st.integers(1, max(1, len(data) - 1)))]
    elif kind == "random":
        data = draw(st.binary(min_size=1, max_size=200))
    elif kind == "insert":
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif kind == "overwrite":
        chunk = draw(st.binary(min_size=1, max_size=8))
        data = data[:at] + chunk + data[at + len(chunk):]
    elif kind == "invalid_utf8":
        data = data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]
    elif kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "utf16":
        data = data.decode("utf-8").encode(draw(st.sampled_from(["utf-16", "utf-32-be"])))
    else:
        data = data[:at] + b"\x00" + data[at:]
    return File(file.suffix, data)


def files(documents: Strategy[Doc], suffixes: tuple[str, ...]) -> Strategy[File]:
    """Mutated documents, serialised; or valid ones with their bytes damaged."""
    suffix = st.sampled_from(suffixes)
    from_mutation = st.builds(serialise, mutated(documents), suffix)
    from_bytes = st.builds(serialise, documents, suffix).flatmap(corrupted)
    return from_mutation | from_bytes


# --- checks ------------------------------------------------------------------------------------


def assert_located(error: DlselectError, path: Path) -> None:
    """The message starts with the file and says where in it: ``path: location: what``."""
    assert error.message.startswith(f"{path}: "), error.message
    assert error.message[len(f"{path}: "):].strip(), error.message


def check_knowledge(path: Path) -> None:
    try:
        load_snapshot(str(path))
    except KnowledgeError as exc:
        assert_located(exc, path)
        for problem in exc.problems:
            assert problem.startswith(f"{path}: "), problem


def recommend_end_to_end(answers: Answers, probe_results: list[Path] | None = None) -> None:
    """What was accepted goes on to a recommendation, which either comes back or is refused
    with the project's error; never live probes (seconds each), and a small robustness
    analysis (the seed is kept: a bad one must be refused here, not crash numpy)."""
    samples = min(50, 50 if answers.samples is None else answers.samples)
    answers = answers.model_copy(update={"probe": False, "samples": samples})
    try:
        rec = decide_from_answers(answers, probe_results).recommendation
    except DlselectError as exc:
        assert exc.message.strip()
    else:
        assert rec.ranking or rec.excluded


def check_answers(path: Path) -> None:
    try:
        answers = load_answers(path)
    except ProfileError as exc:
        assert_located(exc, path)
        return
    recommend_end_to_end(answers)


def check_report(path: Path) -> None:
    try:
        load_report(path)
    except ProbeResultsError as exc:
        assert_located(exc, path)
        return
    recommend_end_to_end(Answers(languages=["python"]), [path])


JOB = Job(framework=PROBED, interpreter="/usr/bin/python3", program=Path("probe_fake.py"),
          version="1.0")


def check_probe_document(path: Path) -> None:
    outcome = read_document(JOB, path)
    assert isinstance(outcome, Outcome)
    assert outcome.framework == PROBED
    if outcome.status is ProbeStatus.OK:
        assert outcome.reason is None
    else:
        assert outcome.status is ProbeStatus.FAILED
        assert outcome.reason is not None and outcome.reason.strip(), outcome


# --- property 1: valid documents load and keep their key facts ---------------------------------


@VALID
@given(doc=snapshots(), suffix=st.sampled_from([".toml", ".json"]))
def test_valid_snapshots_load(doc: dict[str, Any], suffix: str) -> None:
    with written(serialise(doc, suffix)) as path:
        snap = load_snapshot(str(path))
    assert (snap.id, snap.as_of) == (doc["id"], doc["as_of"])
    assert [f.id for f in snap.frameworks] == [f["id"] for f in doc["frameworks"]]
    assert [c.id for c in snap.criteria] == [c["id"] for c in doc["criteria"]]
    assert {(s.framework, s.criterion): s.value for s in snap.scores} == {
        (s["framework"], s["criterion"]): s["value"] for s in doc["scores"]}
    assert (snap.scale.min, snap.scale.max) == (doc["scale"]["min"], doc["scale"]["max"])


@VALID
@given(doc=overlays(), suffix=st.sampled_from([".toml", ".json"]))
def test_valid_overlays_of_current_load(doc: dict[str, Any], suffix: str) -> None:
    with written(serialise(doc, suffix)) as path:
        merged = load_snapshot(str(path))
    base = current()
    assert merged.overlay == doc["id"]
    assert len(merged.scores) == len(base.scores)
    for score in doc["scores"]:
        got = merged.score(score["framework"], score["criterion"])
        assert (got.value, got.overlay) == (score["value"], doc["id"])
        assert got.replaces == base.score(score["framework"], score["criterion"]).value


@VALID
@given(doc=answers_docs())
# to_toml once wrote these so that they did not read back (see selector/answers.py::_value).
@example(doc={"schema_version": 1, "snapshot": "\U00010000"})
@example(doc={"schema_version": 1, "budget": "\x7f"})
@example(doc={"schema_version": 1, "weights": {"team speed": 1.0, "": 2.0, "a.b": 0.5}})
@example(doc={"schema_version": 1, "weights": {}})
def test_valid_answers_files_load_and_round_trip(doc: dict[str, Any]) -> None:
    expected = Answers.model_validate(doc)
    with written(serialise(doc, ".toml")) as path:
        assert load_answers(path) == expected
    recommend_end_to_end(expected)
    # What the wizard saves reads back the same.
    with written(File(".toml", to_toml(expected).encode("utf-8"))) as path:
        assert load_answers(path) == expected


@VALID
@given(doc=probe_reports())
def test_valid_probe_results_load(doc: dict[str, Any]) -> None:
    with written(serialise(doc, ".json")) as path:
        report = load_report(path)
        recommend_end_to_end(Answers(languages=["python"]), [path])
    assert [(r.framework, r.status.value) for r in report.results] == [
        (r["framework"], r["status"]) for r in doc["results"]]
    for got, want in zip(report.results, doc["results"], strict=True):
        assert {k: v.gflops for k, v in got.ops.items()} == {
            k: v["gflops"] for k, v in want.get("ops", {}).items()}


@VALID
@given(doc=probe_documents())
def test_valid_probe_documents_are_ok(doc: dict[str, Any]) -> None:
    with written(serialise(doc, ".json")) as path:
        outcome = read_document(JOB, path)
    assert outcome.status is ProbeStatus.OK and outcome.reason is None
    assert outcome.version == doc["version"]
    assert {k: v.gflops for k, v in outcome.ops.items()} == {
        k: v["gflops"] for k, v in doc["ops"].items()}
    assert len(outcome.devices) == len(doc["devices"])


# --- property 2: anything else is accepted or refused with our error and a location ------------
# Each @example is a file that once escaped as another exception; see the loader's comment.

VALID_SNAPSHOT = ('schema_version = 3\nid = "s"\ntitle = "S"\nas_of = 2020-01-01\n'
                  'read_on = 2020-01-01\ndescription = "d"\nscale = {min = 1, max = 5}\n'
                  'sources = [{id = "x", title = "X"}]\n'
                  'criteria = [{id = "c", name = "C", description = "d", default_weight = 1}]\n'
                  'frameworks = [{id = "f", name = "F", status = "active"}]\n'
                  'targets = [{axis = "language", id = "python", name = "Python", '
                  'meaning = "m"}]\n'
                  'support = [{framework = "f", axis = "language", target = "python", '
                  'level = "native", source = "x", evidence_date = 2020-01-01}]\n')
DEEP = "[" * 3000 + "]" * 3000


@FUZZ
@given(file=files(snapshots(), (".toml", ".json")))
@example(file=File(".toml", f"schema_version = {'9' * 5000}\n".encode()))
@example(file=File(".json", f'{{"schema_version": {"9" * 5000}}}'.encode()))
@example(file=File(".toml", f"schema_version = 1\nid = {DEEP}\n".encode()))
@example(file=File(".json", f'{{"schema_version": 1, "id": {DEEP}}}'.encode()))
@example(file=File(".toml", (VALID_SNAPSHOT + f"scores = {DEEP}\n").encode()))
def test_mutated_snapshots_are_refused_with_a_location(file: File) -> None:
    with written(file) as path:
        check_knowledge(path)


@FUZZ
@given(file=files(overlays(), (".toml", ".json")))
def test_mutated_overlays_are_refused_with_a_location(file: File) -> None:
    with written(file) as path:
        check_knowledge(path)


@FUZZ
@given(file=files(answers_docs(), (".toml",)))
@example(file=File(".toml", f"schema_version = 1\nseed = {'9' * 5000}\n".encode()))
@example(file=File(".toml", f"schema_version = 1\npythons = {DEEP}\n".encode()))
# Loaded, then crashed numpy's seeding with a traceback: answers are run end to end since.
@example(file=File(".toml", b"schema_version = 1\nseed = -1\nsamples = 10\n"))
def test_mutated_answers_files_are_refused_with_a_location(file: File) -> None:
    with written(file) as path:
        check_answers(path)


@FUZZ
@given(file=files(probe_reports(), (".json",)))
@example(file=File(".json", f'{{"schema_version": 1, "tool": "dlselect", "host": {DEEP}}}'
                   .encode()))
def test_mutated_probe_results_are_refused_with_a_location(file: File) -> None:
    with written(file) as path:
        check_report(path)


@FUZZ
@given(file=files(probe_documents(), (".json",)))
@example(file=File(".json", f'{{"schema_version": 1, "ops": {DEEP}}}'.encode()))
def test_mutated_probe_documents_become_failed_outcomes(file: File) -> None:
    with written(file) as path:
        check_probe_document(path)


@pytest.mark.parametrize("check", [check_knowledge, check_answers, check_report,
                                   check_probe_document])
def test_a_missing_file_is_refused_with_its_path(check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check(Path(tmp) / "missing.toml")
        directory = Path(tmp) / "directory.toml"  # where a file should be
        directory.mkdir()
        check(directory)


# --- property 3: what is certainly invalid is refused, with its location -----------------------
# The fuzz above passes when a loader accepts a mutated file: these mutations cannot be valid, so
# they must be refused, with the project's error and where in the file.

UNKNOWN = "zz-not-a-known-id"  # longer than IDENT makes: never a real reference


def _break_snapshot(doc: dict[str, Any], kind: str, i: int) -> str:
    """Break ``doc`` the ``kind`` way at the ``i``-th place that fits; the location the
    refusal must name."""
    scores, support = doc["scores"], doc["support"]
    if kind == "score_outside_scale":
        n = i % len(scores)
        scores[n]["value"] = doc["scale"]["max"] + 1 + i
        return f"scores[{n}].value"
    if kind == "unknown_framework":
        n = i % len(scores)
        scores[n]["framework"] = UNKNOWN
        return f"scores[{n}].framework"
    if kind == "unknown_criterion":
        n = i % len(scores)
        scores[n]["criterion"] = UNKNOWN
        return f"scores[{n}].criterion"
    if kind == "unknown_source":
        n = i % len(support)
        support[n]["source"] = UNKNOWN
        return f"support[{n}].source"
    if kind == "support_without_source":
        n = i % len(support)
        del support[n]["source"]
        return f"support[{n}].source"
    if kind == "missing_key":
        key = ["id", "title", "as_of", "scale", "criteria", "frameworks"][i % 6]
        del doc[key]
        return key
    if kind == "duplicate_id":
        section = ["frameworks", "criteria", "sources"][i % 3]
        doc[section].append(copy.deepcopy(doc[section][0]))
        return section
    if kind == "duplicate_score":
        n = i % len(scores)
        scores.append(copy.deepcopy(scores[n]))
        return f"scores[{len(scores) - 1}]"
    raise AssertionError(kind)


SNAPSHOT_BREAKS = ["score_outside_scale", "unknown_framework", "unknown_criterion",
                   "unknown_source", "support_without_source", "missing_key", "duplicate_id",
                   "duplicate_score"]
INVALID = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_refused_at(path: Path, where: str) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        load_snapshot(str(path))
    assert_located(info.value, path)
    assert any(p.startswith(f"{path}: {where}") for p in info.value.problems), (
        where, info.value.problems)
    return info.value


@INVALID
@given(doc=snapshots(), kind=st.sampled_from(SNAPSHOT_BREAKS), i=st.integers(0, 50),
       suffix=st.sampled_from([".toml", ".json"]))
def test_certainly_invalid_snapshots_are_refused_at_their_location(
        doc: dict[str, Any], kind: str, i: int, suffix: str) -> None:
    where = _break_snapshot(doc, kind, i)
    with written(serialise(doc, suffix)) as path:
        assert_refused_at(path, where)


@INVALID
@given(doc=overlays(), kind=st.sampled_from(["score_outside_scale", "unknown_framework",
                                             "unknown_criterion", "missing_source",
                                             "duplicate_score"]),
       i=st.integers(0, 50))
def test_certainly_invalid_overlays_are_refused_at_their_location(
        doc: dict[str, Any], kind: str, i: int) -> None:
    scores = doc["scores"]
    n = i % len(scores)
    where = f"scores[{n}]"
    if kind == "score_outside_scale":
        scores[n]["value"] = current().scale.max + 1
        where += ".value"
    elif kind == "unknown_framework":
        scores[n]["framework"] = UNKNOWN
        where += ".framework"
    elif kind == "unknown_criterion":
        scores[n]["criterion"] = UNKNOWN
        where += ".criterion"
    elif kind == "missing_source":
        del scores[n]["source"]
        where += ".source"
    else:
        scores.append(copy.deepcopy(scores[n]))
        where = f"scores[{len(scores) - 1}]"
    with written(serialise(doc, ".toml")) as path:
        assert_refused_at(path, where)


@INVALID
@given(doc=answers_docs(), broken=st.sampled_from([
    ("seed", -1, "seed"), ("seed", 2**63, "seed"), ("samples", -1, "samples"),
    ("samples", 10**9, "samples"), ("languages", "python", "languages"),
    ("allow_retired", "maybe", "allow_retired"), ("colour", "blue", "colour"),
]))
def test_certainly_invalid_answers_are_refused_at_their_location(
        doc: dict[str, Any], broken: tuple[str, Any, str]) -> None:
    key, value, where = broken
    doc[key] = value
    with written(serialise(doc, ".toml")) as path:
        with pytest.raises(ProfileError) as info:
            load_answers(path)
        assert info.value.message.startswith(f"{path}: {where}"), info.value.message


@INVALID
@given(doc=probe_reports().filter(lambda d: d["results"]), broken=st.sampled_from([
    ("gflops", 1e308), ("gflops", -1.0), ("median_s", 1e12), ("samples", 0),
    ("first_call_s", math.inf), ("flops", 1e300), ("unknown", 1),
]))
def test_certainly_invalid_probe_results_are_refused_at_their_location(
        doc: dict[str, Any], broken: tuple[str, Any]) -> None:
    key, value = broken
    result = doc["results"][0]
    op = dict(st_example_op())
    op[key] = value
    result["ops"] = {"gemm": op}
    with written(serialise(doc, ".json")) as path:
        with pytest.raises(ProbeResultsError) as info:
            load_report(path)
        assert info.value.message.startswith(f"{path}: results[0].ops.gemm.{key}: "), (
            info.value.message)


def st_example_op() -> dict[str, Any]:
    return {"device": "cpu", "dtype": "float32", "flops": 2e9, "first_call_s": 0.1,
            "median_s": 0.01, "iqr_s": 0.0, "samples": 5, "inner_loops": 1, "gflops": 200.0,
            "unstable": False}
