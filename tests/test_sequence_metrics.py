"""Time-series scores on hand-made series whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from gen_models.evaluation.sequences import discriminative_score, sequence_features, train_synthetic_test_real


def waves(n: int, kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(30)
    freq = rng.uniform(1, 4, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    angle = 2 * np.pi * freq * t / 30 + phase
    if kind == "sine":
        return np.sin(angle)
    return 2 * ((angle / (2 * np.pi)) % 1.0) - 1


def labelled(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([waves(n, "sine", seed), waves(n, "sawtooth", seed + 1)])
    return values, np.array(["sine"] * n + ["sawtooth"] * n)


def test_features_keep_values_and_spectrum():
    x = waves(4, "sine", 0)
    f = sequence_features(x)
    assert f.shape == (4, 30 + 15)
    np.testing.assert_allclose(f[:, :30], x)
    np.testing.assert_allclose(f[:, 30:].sum(axis=1), 1.0)
    assert sequence_features(x[:, :, None]).shape == f.shape  # (n, T, 1) reads like (n, T)


def test_tstr_is_high_for_faithful_and_chance_for_mislabelled_series():
    real, labels = labelled(100, 0)
    fake, fake_labels = labelled(100, 10)
    good = train_synthetic_test_real(real, labels, fake, fake_labels)
    assert good["train_real"] > 0.95 and good["train_synthetic"] > 0.95 and good["ratio"] == pytest.approx(1, abs=0.05)
    shuffled = np.random.default_rng(0).permutation(fake_labels)
    assert train_synthetic_test_real(real, labels, fake, shuffled)["train_synthetic"] < 0.7


def test_discriminative_score_separates_fakes_from_lookalikes():
    real, _ = labelled(100, 0)
    same, _ = labelled(100, 20)
    assert discriminative_score(real, same) < 0.65
    noisy = same + np.random.default_rng(1).normal(0, 1.0, same.shape)
    assert discriminative_score(real, noisy) > 0.9
