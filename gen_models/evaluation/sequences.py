"""Scores for generated time series: do they carry their label, and can they be told from real ones?

Both work on arrays of equal-length series, values (n, T) or (n, T, F), described by simple
features: the raw values plus the shape of each series' spectrum (FFT magnitudes divided by
their sum), which captures frequency content whatever the amplitude.
- `train_synthetic_test_real`: a classifier trained on generated series (with the labels they
  were generated for) is tested on held-out real series, next to one trained on real series
  (TSTR vs TRTR, as in the RCGAN paper). Near-equal accuracies mean the label-specific shapes
  were learned.
- `discriminative_score`: cross-validated ROC AUC of a classifier telling real from generated
  series (0.5 = indistinguishable, 1 = always told apart).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def sequence_features(values: np.ndarray) -> np.ndarray:
    """(n, T) or (n, T, F) series -> (n, d) features: raw values and normalised spectrum shapes."""
    series = values if values.ndim == 3 else values[:, :, None]
    centred = series - series.mean(axis=1, keepdims=True)
    spectrum = np.abs(np.fft.rfft(centred, axis=1))[:, 1:, :]
    shape = spectrum / np.maximum(spectrum.sum(axis=1, keepdims=True), 1e-9)
    n = len(series)
    return np.concatenate([series.reshape(n, -1), shape.reshape(n, -1)], axis=1)


def _classifier() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def train_synthetic_test_real(
    real: np.ndarray,
    real_labels: np.ndarray,
    synthetic: np.ndarray,
    synthetic_labels: np.ndarray,
    seed: int = 0,
) -> dict[str, float]:
    """Accuracy on a held-out half of the real series of a classifier trained on the synthetic
    series ("train_synthetic") and of one trained on the other real half ("train_real")."""
    real_labels = np.asarray([str(v) for v in real_labels])
    synthetic_labels = np.asarray([str(v) for v in synthetic_labels])
    order = np.random.default_rng(seed).permutation(len(real))
    train, test = order[: len(real) // 2], order[len(real) // 2 :]
    test_x, test_y = sequence_features(real[test]), real_labels[test]
    on_real = _classifier().fit(sequence_features(real[train]), real_labels[train]).score(test_x, test_y)
    on_synthetic = _classifier().fit(sequence_features(synthetic), synthetic_labels).score(test_x, test_y)
    return {
        "train_synthetic": float(on_synthetic),
        "train_real": float(on_real),
        "ratio": float(on_synthetic / on_real) if on_real > 0 else float("nan"),
    }


def discriminative_score(real: np.ndarray, synthetic: np.ndarray, seed: int = 0) -> float:
    """Mean 5-fold ROC AUC of telling real from synthetic series (balanced by subsampling)."""
    n = min(len(real), len(synthetic))
    rng = np.random.default_rng(seed)
    x = np.concatenate([real[rng.permutation(len(real))[:n]], synthetic[rng.permutation(len(synthetic))[:n]]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_val_score(_classifier(), sequence_features(x), y, cv=folds, scoring="roc_auc")
    # Below 0.5 only means the folds learned noise backwards: count it as indistinguishable.
    return float(np.mean(np.maximum(scores, 0.5)))
