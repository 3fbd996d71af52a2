"""Explanations true to the method, scale invariance, honest verdicts, and Keras' bound."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from selector.engine.explain import grouped, margin, winning_margin
from selector.engine.profile import build_profile
from selector.engine.ranking import topsis, topsis_decomposition
from selector.engine.recommend import recommend
from selector.knowledge import load_snapshot, parse_snapshot
from selector.models import Recommendation, Snapshot
from selector.report.margin_text import margin_sentence
from selector.vocab import LEVEL_VALUE, Axis, SupportLevel, Verdict
from tests.conftest import snapshot_data
from tests.test_ranking import matrix

SETTINGS = settings(max_examples=60, deadline=None)
SMALL = st.lists(st.lists(st.integers(0, 10), min_size=3, max_size=3), min_size=2, max_size=5)
WEIGHTS = st.lists(st.integers(0, 5), min_size=3, max_size=3).filter(lambda w: sum(w) > 0)


def _rec(values: list[list[int]], weights: list[int], method: str = "topsis",
         **kwargs: Any) -> Recommendation:
    snap = parse_snapshot(snapshot_data(values, weights=[float(w) for w in weights], **kwargs),
                          "synthetic")
    profile = build_profile(method=method).model_copy(update={"samples": 0})
    return recommend(profile, snap)


@SETTINGS
@given(values=SMALL, weights=WEIGHTS)
def test_topsis_decomposition_adds_up_to_the_closeness(values: list[list[int]],
                                                        weights: list[int]) -> None:
    m = matrix(values, [float(w) for w in weights])
    # Every weighted column constant: closeness is 0.5 by convention, nothing to attribute.
    assume(any(w > 0 and len({row[j] for row in values}) > 1 for j, w in enumerate(weights)))
    shares = topsis_decomposition(m.unit(), m.weights, m.maximise)
    closeness = topsis(m.unit(), m.weights, m.maximise)
    assert np.allclose(shares.sum(axis=1), closeness, atol=1e-7)
    assert (shares >= -1e-12).all()
    # A criterion on which an alternative has the worst value contributes nothing to it.
    worst = np.where(m.maximise, m.unit().min(axis=0), m.unit().max(axis=0))
    assert np.allclose(shares[m.unit() == worst], 0.0, atol=1e-12)


@SETTINGS
@given(values=SMALL, weights=WEIGHTS, method=st.sampled_from(["topsis", "wsm"]))
def test_the_reasons_add_up_in_the_winners_favour(values: list[list[int]], weights: list[int],
                                                  method: str) -> None:
    """The old explanation used weighted-sum contributions for a TOPSIS ranking, so in about 5%
    of small matrices the reasons added up against the winner."""
    rec = _rec(values, weights, method)
    first, second = rec.ranking[0], rec.ranking[1]
    gaps = margin(rec)
    assert sum(g for _, g in gaps) == pytest.approx(first.score - second.score, abs=1e-5)
    assert sum(g for _, g in gaps) >= -1e-5
    # Only criteria on which the two differ are named.
    for criterion, part in rec.margin.items():
        if first.evidence[criterion].value == second.evidence[criterion].value:
            assert part == 0
    assert {c for c, _ in gaps} <= {c for c in rec.margin
                                    if first.evidence[c].value != second.evidence[c].value}


def test_ties_are_shown_together_not_in_an_order_they_lack() -> None:
    assert grouped([("cnn", 0.071), ("adoption", 0.071), ("speed", 0.2), ("rnn", 0.01)], 2) == [
        (["speed"], 0.2), (["adoption", "cnn"], 0.071)]
    rec = _rec([[10, 10, 5], [0, 0, 5]], [1, 1, 1], "wsm")
    assert winning_margin(rec) == [(["c0", "c1"], 0.333)]
    sentence = margin_sentence(rec)
    assert sentence is not None and "c0 and c1 (+0.333 each)" in sentence
    assert "c2" not in sentence  # equal on c2: never a reason


@SETTINGS
@given(values=SMALL, weights=WEIGHTS, shift=st.integers(-5, 5), stretch=st.integers(1, 4),
       method=st.sampled_from(["topsis", "wsm"]))
def test_the_ranking_does_not_depend_on_how_the_scale_is_written(
        values: list[list[int]], weights: list[int], shift: int, stretch: int,
        method: str) -> None:
    """The same judgements on 0-10 and on shift + stretch x (0-10) rank the same."""
    base = _rec(values, weights, method)
    moved_values = [[shift + stretch * v for v in row] for row in values]
    doc = snapshot_data(moved_values, weights=[float(w) for w in weights])
    doc["scale"] = {"min": shift, "max": shift + 10 * stretch}
    moved = recommend(build_profile(method=method).model_copy(update={"samples": 0}),
                      parse_snapshot(doc, "moved"))
    assert [r.framework for r in moved.ranking] == [r.framework for r in base.ranking]
    assert [r.score for r in moved.ranking] == pytest.approx([r.score for r in base.ranking],
                                                             abs=1e-6)


def test_a_tie_is_too_close_to_call() -> None:
    rec = _rec([[5, 5, 5], [5, 5, 5], [1, 1, 1]], [1, 1, 1])
    assert rec.verdict is not None and rec.verdict.kind is Verdict.TOO_CLOSE
    assert set(rec.verdict.frameworks) == {"f0", "f1"}
    assert rec.verdict.headline.startswith("Too close to call between F0 and F1")


def test_a_lone_candidate_is_decided_by_the_constraints() -> None:
    rec = recommend(build_profile(languages=["lua"]).model_copy(
        update={"samples": 0, "allow_retired": True}))
    assert [r.framework for r in rec.ranking] == ["torch"]
    assert rec.verdict is not None and rec.verdict.kind is Verdict.CONSTRAINED
    assert "constraints decided" in rec.verdict.headline and "%" not in rec.verdict.headline


def test_a_clear_lead_says_use_it() -> None:
    rec = _rec([[9, 9, 9], [1, 1, 1]], [1, 1, 1])
    assert rec.verdict is not None and rec.verdict.kind is Verdict.CLEAR
    assert rec.verdict.headline == "Use F0"


def test_a_close_call_names_the_deciding_priority() -> None:
    # f0 leads on c0, f1 on c1, almost evenly: lowering c0's weight by 1% crowns f1.
    profile = build_profile(method="topsis")
    snap = parse_snapshot(snapshot_data([[10, 0, 5], [0, 8, 5], [2, 2, 5]],
                                        weights=[1.0, 1.0, 1.0]), "synthetic")
    rec = recommend(profile.model_copy(update={"samples": 2000}), snap)
    assert rec.verdict is not None and rec.verdict.kind is Verdict.TOO_CLOSE
    assert rec.verdict.frameworks == ["f0", "f1"]
    assert rec.verdict.question == ("Does C0 matter less to the team than these priorities say? "
                                    "If so, F1; if not, F0.")
    assert any(r.startswith("lowering the weight of C0 by 1%") for r in rec.verdict.reasons)


@pytest.mark.parametrize("criterion", ["speed", "multi_gpu", "distributed"])
def test_keras_never_scores_above_its_best_back_end(criterion: str) -> None:
    snap = load_snapshot("current")
    backends = ("tensorflow", "jax", "pytorch")
    assert snap.score("keras", criterion).value <= max(snap.score(b, criterion).value
                                                      for b in backends)


@pytest.mark.parametrize("axis", [Axis.HARDWARE, Axis.DEPLOYMENT])
def test_keras_reaches_no_target_better_than_its_back_ends(axis: Axis) -> None:
    snap = load_snapshot("current")

    def value(fid: str, target: str) -> float:
        entry = snap.support_of(fid, axis).get(target)
        return LEVEL_VALUE[entry.level if entry else SupportLevel.NONE]

    for target in snap.covers(axis):
        best = max(value(b, target) for b in ("tensorflow", "jax", "pytorch"))
        assert value("keras", target) <= best, target


def _level(snap: Snapshot, fid: str, axis: Axis, target: str,
           runs: bool = False) -> SupportLevel:
    from selector.vocab import Role

    entry = snap.support_of(fid, axis, Role.RUN if runs else Role.TRAIN).get(target)
    return SupportLevel.NONE if entry is None else entry.level


def test_every_advertised_language_leads_somewhere() -> None:
    """A ranking, or one clear line naming what the team can do."""
    from selector.errors import RankingError

    snap = load_snapshot("current")
    for language in snap.vocabulary(Axis.LANGUAGE):
        profile = build_profile(languages=[language.id]).model_copy(update={"samples": 0})
        try:
            rec = recommend(profile, snap)
        except RankingError as err:
            assert language.unserved, language.id
            assert err.tip == language.unserved
            assert "\n" not in str(err)
            continue
        assert rec.ranking, language.id
        read = language.id in rec.profile.runtime_languages
        assert all(_level(snap, r.framework, Axis.LANGUAGE, language.id, read)
                   is not SupportLevel.NONE for r in rec.ranking), language.id


def test_stale_decisive_evidence_is_flagged() -> None:
    rec = recommend(build_profile(languages=["python"], task="cnn")
                    .model_copy(update={"samples": 0}))
    snap = load_snapshot("current")
    for entry in rec.ranking:
        for criterion, ev in entry.evidence.items():
            old = (snap.as_of - ev.as_of).days > 2 * 365 + 1
            assert ev.stale == old, (entry.framework, criterion)

