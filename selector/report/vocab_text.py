"""Sentences about how the team's answers were read and which evidence and routes the ranking
rests on: words read as other targets (``gpu`` as nvidia-gpu), routes that are beta or
experimental, and scores taken from evidence measured on the team's hardware."""

from __future__ import annotations

from selector.models import Recommendation
from selector.vocab import Maturity

#: How many of the ranking's first frameworks the route and evidence sentences speak of.
TOP = 2
#: The criteria whose evidence is measured on a device (MLPerf rows, live probes).
MEASURED = ("speed", "multi_gpu", "distributed")


def reading_sentences(rec: Recommendation) -> list[str]:
    """One sentence per word that was read as something else."""
    result = []
    for r in rec.profile.readings:
        if r.as_runtime:
            result.append(f"'{r.word}' is read as a language the team only runs models from: "
                          "no framework here trains models in it")
        else:
            result.append(f"'{r.word}' is read as {r.axis.value} {', '.join(r.targets)}")
    return result


def route_sentences(rec: Recommendation, names: dict[str, str] | None = None) -> list[str]:
    """The beta or experimental routes of the leading frameworks to the team's targets, and
    which evidence their measured scores rest on when the team named hardware: measured on its
    device, or the general score. ``names``: criterion id -> the name to show."""
    from selector.vocab import Axis

    def crit(cid: str) -> str:
        return (names or {}).get(cid, cid)

    named = {t for axis in Axis for t in rec.profile.targets(axis)}
    named |= set(rec.profile.runtime_languages)
    hardware = ", ".join(rec.profile.hardware)
    result = []
    for entry in rec.ranking[:TOP]:
        measured: dict[tuple[str, str], list[str]] = {}
        general: list[str] = []
        for cid, ev in entry.evidence.items():
            for ref in ev.support:
                if ref.maturity is not Maturity.GA and ref.target in named:
                    via = f" through {ref.via}" if ref.via else ""
                    result.append(f"{entry.name} reaches {ref.target}{via}, "
                                  f"{ref.maturity.value}")
            if cid not in MEASURED or rec.weights.get(cid, 0) <= 0 or not hardware:
                continue
            if ev.hardware is not None:
                measured.setdefault((ev.hardware, ev.source), []).append(crit(cid))
            elif ev.origin != "probe":
                general.append(crit(cid))
        for (device, source), crits in measured.items():
            result.append(f"{entry.name}'s {_and(crits)} rest on evidence measured on {device} "
                          f"({source})")
        if general:
            result.append(f"{entry.name}'s {_and(general)}: general scores, no evidence "
                          f"measured on {hardware}")
    return list(dict.fromkeys(result))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def run_only_sentences(rec: Recommendation) -> list[str]:
    """For each language the team trains in that excluded frameworks only run models from:
    which ones, and how to say that the team trains elsewhere."""
    by_language: dict[str, list[str]] = {}
    for ex in rec.excluded:
        for lang in ex.runs_from:
            by_language.setdefault(lang, []).append(ex.name)
    return [f"{', '.join(names)} run models from {lang} but do not train in it: to train in "
            f"another language and run the models from {lang}, name {lang} as a language that "
            f"only runs models (--runtime-language {lang})"
            for lang, names in by_language.items()]
