"""The weighting rule of docs/weights.md, on the 2017 snapshot."""

from __future__ import annotations

import math

import pytest

from selector.engine.profile import build_profile
from selector.engine.weights import derive_weights
from selector.errors import ProfileError
from selector.models import Snapshot


def test_defaults_are_equal_and_normalised(snapshot_2017: Snapshot) -> None:
    weights = derive_weights(snapshot_2017, build_profile(snapshot="2017"))
    assert math.isclose(sum(weights.values()), 1.0)
    assert len(set(weights.values())) == 1


def test_task_and_hardware_shift_weight(snapshot_2017: Snapshot) -> None:
    base = derive_weights(snapshot_2017, build_profile(snapshot="2017"))
    cnn = derive_weights(snapshot_2017, build_profile(snapshot="2017", task="cnn"))
    assert cnn["cnn"] == pytest.approx(3 * cnn["rnn"])
    assert cnn["cnn"] > base["cnn"]
    multi = derive_weights(snapshot_2017,
                           build_profile(snapshot="2017", task="rnn", hardware=["multi-gpu"]))
    assert multi["multi_gpu"] == pytest.approx(3 * multi["languages"])
    assert multi["rnn"] == pytest.approx(3 * multi["languages"])
    assert multi["speed"] == pytest.approx(1.5 * multi["languages"])
    cpu = derive_weights(snapshot_2017, build_profile(snapshot="2017", hardware=["cpu"]))
    assert cpu["multi_gpu"] == 0.0


def test_override_replaces_one_and_leaves_others_as_derived(snapshot_2017: Snapshot) -> None:
    derived = derive_weights(snapshot_2017, build_profile(snapshot="2017", task="cnn"))
    changed = derive_weights(snapshot_2017,
                             build_profile(snapshot="2017", task="cnn", weights=["speed=6"]))
    # Raw weights: cnn 3, speed 6, the six others 1 -> total 15.
    assert changed["speed"] == pytest.approx(6 / 15)
    assert changed["cnn"] == pytest.approx(3 / 15)
    ratio = {c: changed[c] / derived[c] for c in derived if c != "speed"}
    assert max(ratio.values()) == pytest.approx(min(ratio.values()))


def test_all_zero_weights_are_refused(snapshot_2017: Snapshot) -> None:
    zero = [f"{c.id}=0" for c in snapshot_2017.criteria]
    with pytest.raises(ProfileError, match="all criterion weights are zero"):
        derive_weights(snapshot_2017, build_profile(snapshot="2017", weights=zero))
