"""Part d of benchmarks/run.py: vectorised SMAA against the per-sample scikit-criteria loop.

Runs in dlselect's interpreter and prints one JSON document. A synthetic 12-framework x
16-criterion matrix (fixed seed, 1-to-5 scale, 12 maximised and 4 minimised criteria) is ranked
by TOPSIS (dlselect's default method):

- ``smaa``: ``selector.engine.robustness.smaa(matrix, TOPSIS, samples=100_000)``, which ranks
  the matrix under 100,000 uniform and 100,000 "around" weight vectors: 200,000 rankings;
- ``loop``: for each of ``--loop-samples`` weight vectors (half uniform, half around, the same
  distributions), scikit-criteria's TOPSIS (``scikit_criteria.oracle_scores``) on the matrix
  with those weights, then ``ranking.order`` (the ranking with its tie-breaking) and the rank
  count: one ranking per sample, what SMAA would cost without the vectorised path.

The two alternate (smaa, loop, loop, smaa, ...) ``--runs`` times each, after a warm-up of both.
The loop also checks that it ranks every sample exactly as the vectorised code does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from selector.engine.matrix import DecisionMatrix
from selector.engine.methods.scikit_criteria import oracle_scores
from selector.engine.ranking import order
from selector.engine.robustness import (
    default_concentration,
    ranks_from_scores,
    scores_for,
    smaa,
    tiebreak_keys,
    uniform_weights,
    weights_around,
)
from selector.vocab import Method

ALTERNATIVES = 12
CRITERIA = 16
MINIMISED = 4
SEED = 20261127
SMAA_SAMPLES = 100_000


def synthetic_matrix() -> DecisionMatrix:
    rng = np.random.default_rng(SEED)
    values = rng.uniform(1.0, 5.0, size=(ALTERNATIVES, CRITERIA))
    maximise = np.arange(CRITERIA) < CRITERIA - MINIMISED
    weights = rng.dirichlet(np.ones(CRITERIA))
    return DecisionMatrix(
        alternatives=tuple(f"fw{i:02d}" for i in range(ALTERNATIVES)),
        criteria=tuple(f"c{j:02d}" for j in range(CRITERIA)),
        values=values, maximise=maximise, weights=weights, scale=(1.0, 5.0))


def loop_weights(matrix: DecisionMatrix, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = len(matrix.criteria)
    half = n // 2
    return np.vstack([uniform_weights(rng, half, c),
                      weights_around(rng, matrix.weights, n - half, default_concentration(c))])


def per_sample_loop(matrix: DecisionMatrix, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Seconds for ranking ``matrix`` with scikit-criteria under each weight vector, and the
    first-ranked alternative of each."""
    n = len(matrix.alternatives)
    counts = np.zeros((n, n), dtype=np.int64)
    firsts = np.empty(len(weights), dtype=np.int64)
    start = time.perf_counter()
    for i, w in enumerate(weights):
        sample = dataclasses.replace(matrix, weights=w)
        best_first = order(oracle_scores(sample, Method.TOPSIS), sample)
        counts[list(best_first), np.arange(n)] += 1
        firsts[i] = best_first[0]
    return time.perf_counter() - start, firsts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-samples", type=int, default=300)
    args = parser.parse_args()
    matrix = synthetic_matrix()
    weights = loop_weights(matrix, args.loop_samples, SEED + 1)
    # Warm-up: imports (scikit-criteria), first calls, caches.
    smaa(matrix, Method.TOPSIS, samples=1000, seed=1)
    per_sample_loop(matrix, weights[:10])
    smaa_s: list[float] = []
    loop_s: list[float] = []
    firsts = np.empty(0, dtype=np.int64)
    for r in range(args.runs):
        for kind in (("smaa", "loop") if r % 2 == 0 else ("loop", "smaa")):
            if kind == "smaa":
                start = time.perf_counter()
                smaa(matrix, Method.TOPSIS, samples=SMAA_SAMPLES, seed=r)
                smaa_s.append(time.perf_counter() - start)
            else:
                elapsed, firsts = per_sample_loop(matrix, weights)
                loop_s.append(elapsed)
    vector_ranks = ranks_from_scores(scores_for(matrix, Method.TOPSIS, weights),
                                     tiebreak_keys(matrix, weights))
    agree = int((np.argmin(vector_ranks, axis=1) == firsts).sum())
    print(json.dumps({
        "alternatives": ALTERNATIVES, "criteria": CRITERIA, "method": "topsis",
        "smaa_samples": SMAA_SAMPLES, "smaa_rankings": 2 * SMAA_SAMPLES,
        "loop_samples": args.loop_samples, "smaa_s": smaa_s, "loop_s": loop_s,
        "winner_agreement": agree,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
