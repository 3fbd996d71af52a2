"""Priorities as a team lead states them: plain criterion names, a ranking, or small steps.

Pure functions, no prompting (docs/weights.md, "Priorities in plain words"):

* ``plain_names``: each criterion's plain name and one-line meaning, and the spellings that
  name it (the plain name, the snapshot's name, the raw id, a few synonyms);
* ``parse_answer``: what a person typed at the priority question -> a ``Help``, a
  ``RankAnswer`` (``speed, language fit, support``) or an ``Adjust`` (``speed+ keras-``,
  ``speed=3``);
* ``rank_order_centroid``: weights from a ranking (Barron and Barrett 1996);
* ``apply_answer``: the new raw weights after a ranking or an adjustment;
* ``percentages``: shares as whole percentages that add up to exactly 100 (largest remainder);
* ``criterion_evidence``: what backs a criterion in a snapshot (how many scores, which kinds of
  source, how old).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from selector.errors import ProfileError
from selector.models import Snapshot

#: Raw-weight steps a person types after a criterion: ``speed+`` doubles, ``keras-`` halves.
STEPS = {"++": 4.0, "+": 2.0, "-": 0.5, "--": 0.25, "0": 0.0}


@dataclass(frozen=True)
class Plain:
    """How a criterion is put to a team lead."""

    name: str
    meaning: str
    synonyms: tuple[str, ...] = ()


#: The plain name and meaning of the shipped snapshots' criteria. A criterion of another
#: snapshot (or a future one) falls back to the snapshot's own name and description.
PLAIN: dict[str, Plain] = {
    "languages": Plain("language fit", "it can be used from the languages your team writes",
                       ("languages", "language")),
    "resources": Plain("support", "documentation, tutorials, courses and community help",
                       ("resources", "docs", "tutorials", "community")),
    "cnn": Plain("image models", "convolutional networks: ready layers and reference models",
                 ("cnn", "vision")),
    "rnn": Plain("sequence models", "recurrent networks: ready layers, fast kernels, examples",
                 ("rnn",)),
    "architecture": Plain("ease of use", "a clear, modular API that is easy to debug",
                          ("architecture", "api", "usability")),
    "speed": Plain("speed", "how fast training and inference run on your hardware",
                   ("performance", "fast")),
    "multi_gpu": Plain("multi-gpu", "training on several GPUs or accelerators of one machine",
                       ("multi gpu", "gpus", "multi-device")),
    "keras": Plain("keras", "Keras runs on it, so Keras code and skills carry over (counts "
                   "for teams with Keras code)",
                   ("keras compatibility",)),
    "model_hub": Plain("model hub", "open LLMs, diffusion and speech models ready to use on it",
                       ("transformer", "transformers", "llm", "llms", "models")),
    "serving": Plain("serving", "maintained servers to run its models in production",
                     ("serving stack", "inference servers")),
    "workload": Plain("workload fit", "the libraries your workloads need are maintained on it",
                      ("workloads", "ecosystem")),
    "existing": Plain("existing code", "your current code carries over to it",
                      ("existing", "codebase", "migration")),
    "deployment": Plain("deployment", "ways to ship models: server, phones, browser, edge",
                        ("shipping",)),
    "hardware": Plain("hardware choice", "the range of chips it runs on (GPUs, TPUs, Apple)",
                      ("hardware", "hardware backends")),
    "distributed": Plain("multi-node", "training across several machines (a cluster)",
                         ("distributed", "cluster", "distributed training")),
    "maintenance": Plain("maintenance", "releases and contributors today: will it be looked "
                         "after", ("health", "maintenance health")),
    "adoption": Plain("popularity", "how widely it is used: easier hiring and answers",
                      ("adoption", "popular")),
}


@dataclass(frozen=True)
class Criterion:
    """One criterion as the priority question shows it."""

    id: str
    name: str
    meaning: str


def plain_names(snapshot: Snapshot) -> list[Criterion]:
    """The snapshot's criteria, in its order, with their plain names and meanings."""
    result = []
    for c in snapshot.criteria:
        plain = PLAIN.get(c.id)
        result.append(Criterion(c.id, plain.name if plain else c.name,
                                plain.meaning if plain else c.description))
    return result


def _key(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.lower()).split())


def lookup(snapshot: Snapshot) -> dict[str, str]:
    """Every accepted spelling (normalised: lower case, ``-``/``_`` as spaces) -> criterion id.
    A spelling that two criteria would share is left out rather than guessed."""
    spellings: dict[str, set[str]] = {}
    for c in snapshot.criteria:
        plain = PLAIN.get(c.id)
        names = [c.id, c.name, *(([plain.name, *plain.synonyms]) if plain else [])]
        for name in names:
            spellings.setdefault(_key(name), set()).add(c.id)
    # An id always names its own criterion.
    for c in snapshot.criteria:
        spellings[_key(c.id)] = {c.id}
    return {k: next(iter(v)) for k, v in spellings.items() if len(v) == 1}


def resolve(snapshot: Snapshot, text: str) -> str:
    """The criterion id a person means by ``text``; ProfileError naming the choices if none."""
    found = lookup(snapshot).get(_key(text))
    if found is None:
        names = ", ".join(c.name for c in plain_names(snapshot))
        raise ProfileError(f"unknown priority {text.strip()!r}; say one of: {names}")
    return found


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    """``?`` or ``help``, optionally about one criterion (its id)."""

    criterion: str | None = None


@dataclass(frozen=True)
class RankAnswer:
    """Criteria from most to least important (ids)."""

    order: tuple[str, ...]


@dataclass(frozen=True)
class Adjust:
    """(criterion id, step) pairs: a step is one of ``STEPS`` or ``=W`` (a raw weight)."""

    changes: tuple[tuple[str, str], ...]


Answer = Help | RankAnswer | Adjust | None

_HELP = re.compile(r"^(?:\?|help)(?:\s*(.*))?$")
_STEP = re.compile(r"\s*([a-z][a-z0-9 _/.-]*?)\s*(\+\+|\+|--|-|=\s*[^\s,]*|0)(?=\s|,|$)")


def parse_answer(snapshot: Snapshot, text: str) -> Answer:
    """What a person typed at the priority question; None for a blank answer (keep)."""
    text = text.strip().lower()
    if not text:
        return None
    help_match = _HELP.match(text)
    if help_match:
        topic = help_match.group(1)
        return Help(resolve(snapshot, topic) if topic and topic.strip() else None)
    parts = [p.strip() for p in re.split(r",|>", text)]
    if any(not p for p in parts):
        raise ProfileError(f"cannot read {text!r}: an empty place in the list")
    adjusted = [_steps(p) for p in parts]
    if all(a is None for a in adjusted):
        order = tuple(resolve(snapshot, p) for p in parts)
        twice = [c for c, n in Counter(order).items() if n > 1]
        if twice:
            raise ProfileError(f"{twice[0]!r} is ranked twice; name each criterion once")
        return RankAnswer(order)
    if any(a is None for a in adjusted):
        raise ProfileError("either rank criteria (`speed, support`) or adjust them "
                           "(`speed+ keras-`), not both in one answer")
    changes = []
    for steps in adjusted:
        assert steps is not None
        for name, step in steps:
            cid = resolve(snapshot, name)
            if step.startswith("="):
                _number(cid, step)
            changes.append((cid, step))
    return Adjust(tuple(changes))


def _steps(part: str) -> list[tuple[str, str]] | None:
    """``speed++ language fit-`` -> [("speed", "++"), ("language fit", "-")]; None when the
    part is a plain name (a ranking) or not a list of steps at all."""
    steps, pos = [], 0
    for match in _STEP.finditer(part):
        if part[pos:match.start()].strip():
            return None
        steps.append((match.group(1), match.group(2).replace(" ", "")))
        pos = match.end()
    if not steps or part[pos:].strip():
        if steps or re.search(r"\+|=|(?<=[a-z])-$|\s-|\d$", part):
            raise ProfileError(f"cannot read {part!r}: write a priority followed by ++, +, -, "
                               "--, 0 or =W (e.g. speed+ or speed=3)")
        return None
    return steps


def _number(cid: str, step: str) -> float:
    try:
        value = float(step[1:])
    except ValueError:
        raise ProfileError(f"weight of {cid!r} must be a number, got {step[1:]!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ProfileError(f"weight of {cid!r} must be a finite number >= 0, got {step[1:]!r}")
    return value


def rank_order_centroid(n: int) -> list[float]:
    """Rank-order centroid weights of n ranked criteria, most important first:
    w_i = (1/n) * sum_{k=i..n} 1/k (Barron and Barrett 1996). They add up to 1."""
    if n < 1:
        raise ValueError("a ranking needs at least one criterion")
    return [math.fsum(1 / k for k in range(i, n + 1)) / n for i in range(1, n + 1)]


def apply_answer(answer: RankAnswer | Adjust, weights: Mapping[str, float]) -> dict[str, float]:
    """The raw weights after ``answer`` (every criterion of ``weights``, in its order).

    A ranking sets every weight: the named criteria take the first places of a rank-order
    centroid, and the criteria left out that still count (weight > 0) share the places below
    them equally (the mean of those places' centroid weights); criteria at 0 stay at 0. The
    centroid weights are multiplied by the number of places, so that they average 1 like the
    snapshot's default weights and a later ``speed=3`` means what it means before a ranking.
    An adjustment multiplies by a step or sets a raw weight, on the scale of ``weights``.
    """
    if isinstance(answer, RankAnswer):
        rest = [c for c, w in weights.items() if c not in answer.order and w > 0]
        places = len(answer.order) + len(rest)
        roc = [w * places for w in rank_order_centroid(places)]
        result = dict.fromkeys(weights, 0.0)
        result.update(zip(answer.order, roc, strict=False))
        tail = roc[len(answer.order):]
        for c in rest:
            result[c] = math.fsum(tail) / len(tail)
        return result
    result = dict(weights)
    for cid, step in answer.changes:
        result[cid] = _number(cid, step) if step.startswith("=") else result[cid] * STEPS[step]
    if not any(result.values()):
        raise ProfileError("that would switch every criterion off")
    return result


def percentages(weights: Sequence[float], total: int = 100) -> list[int]:
    """Whole percentages of ``weights`` (>= 0, not all 0) that add up to exactly ``total``:
    each share rounded down, then the units left over go to the largest remainders (ties to
    the earlier criterion) -- the largest-remainder (Hamilton) method."""
    whole = math.fsum(weights)
    if not whole > 0:
        raise ValueError("at least one weight must be positive")
    exact = [w / whole * total for w in weights]
    floors = [math.floor(x) for x in exact]
    left = total - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return floors


# --- what backs a criterion ------------------------------------------------------------------

#: Kinds of source, recognised from a source's publisher and title (first match wins).
SOURCE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("benchmark results", ("mlperf", "mlcommons", "benchmark")),
    ("download and usage statistics", ("top pypi", "most-downloaded", "pepy", "pypistats",
                                       "stars", "dependents")),
    ("papers and surveys", ("arxiv", "paper", "proceedings", "journal", "survey", "ieee",
                            "acm", "conference", "thesis")),
    ("package registries", ("pypi", "cran", "nuget", "npm", "conda", "crates.io", "maven")),
    ("release history", ("release", "changelog", "tags")),
    ("official documentation and websites", ("documentation", "docs", "guide", "tutorial",
                                             "blog", "website", "keras.io", "manual",
                                             "get started", "introducing", "features")),
    ("source repositories", ("github", "gitlab", "repository")),
)


@dataclass(frozen=True)
class CriterionEvidence:
    """What the snapshot's numbers for one criterion rest on."""

    criterion: str
    description: str
    #: scores for a scored criterion, support entries for a fit criterion
    entries: int
    sources: int
    #: kind of source -> how many of the entries cite one, most first
    kinds: list[tuple[str, int]]
    oldest: str | None
    newest: str | None
    fit: bool


def source_kind(title: str, publisher: str | None) -> str:
    text = f"{publisher or ''} {title}".lower()
    for kind, words in SOURCE_KINDS:
        if any(w in text for w in words):
            return kind
    return "other sources"


def criterion_evidence(snapshot: Snapshot, cid: str) -> CriterionEvidence:
    criterion = snapshot.criterion(cid)
    if criterion.fit is not None:
        cited = [(s.source, s.evidence_date) for s in snapshot.support
                 if s.axis is criterion.fit]
    else:
        cited = [(s.source, s.evidence_date) for s in snapshot.scores if s.criterion == cid]
    docs = {s.id: s for s in snapshot.sources}
    kinds = Counter(source_kind(docs[sid].title, docs[sid].publisher) if sid in docs
                    else "other sources" for sid, _ in cited)
    dates = sorted(d for _, d in cited)
    return CriterionEvidence(
        criterion=cid, description=criterion.description, entries=len(cited),
        sources=len({sid for sid, _ in cited}),
        kinds=sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])),
        oldest=dates[0].isoformat() if dates else None,
        newest=dates[-1].isoformat() if dates else None, fit=criterion.fit is not None)
