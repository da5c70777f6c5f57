"""Scores for generated time series: do they carry their label, and can they be told from real ones?

Both work on arrays of equal-length series, values (n, T) or (n, T, F), described by simple
features: the raw values plus the shape of each series' spectrum (FFT magnitudes divided by
their sum), which captures frequency content whatever the amplitude.
- `train_synthetic_test_real`: a classifier trained on generated series (with the labels they
  were generated for) is tested on held-out real series, next to one trained on real series
  (TSTR vs TRTR, as in the RCGAN paper). Near-equal accuracies mean the label-specific shapes
  were learned.
- `discriminative_score`: cross-validated ROC AUC of a classifier telling real from generated
  series (0.5 = indistinguishable, 1 = always told apart); `discriminative_scores` adds its
  accuracy and |accuracy - 0.5|, the unit TimeGAN and Diffusion-TS report (they use a GRU
  classifier, this a logistic regression on the features above, so compare with care).
- `step_moments` and `autocorrelation`: per-step mean and std bands, and the mean autocorrelation
  at each lag, to set real and generated side by side; `autocorrelation_gap` sums one number.
- `sequence_quality`: all of them at once, as the Evaluate page and the bench read them;
  `sequence_check`: the training monitor's record for two frames of a sequence model's layout,
  whose "quality" (1 - 2 |AUC - 0.5|: 1 = cannot be told from real) picks the best epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from gen_models.evaluation.features import one_blas_thread


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


def discriminative_scores(real: np.ndarray, synthetic: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Telling real from synthetic (n, T[, F]) series, 5-fold cross-validated on balanced subsamples:
    {"auc": mean ROC AUC, "accuracy": mean accuracy, "accuracy_gap": |accuracy - 0.5|}."""
    n = min(len(real), len(synthetic))
    if n < 5:
        raise ValueError(f"telling real from synthetic series needs at least 5 of each, not {n}")
    rng = np.random.default_rng(seed)
    x = np.concatenate([real[rng.permutation(len(real))[:n]], synthetic[rng.permutation(len(synthetic))[:n]]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    found = cross_validate(_classifier(), sequence_features(x), y, cv=folds, scoring=("roc_auc", "accuracy"))
    accuracy = float(np.mean(found["test_accuracy"]))
    # An AUC below 0.5 only means the folds learned noise backwards: count it as indistinguishable.
    return {
        "auc": float(np.mean(np.maximum(found["test_roc_auc"], 0.5))),
        "accuracy": accuracy,
        "accuracy_gap": abs(accuracy - 0.5),
    }


def discriminative_score(real: np.ndarray, synthetic: np.ndarray, seed: int = 0) -> float:
    """Mean 5-fold ROC AUC of telling real from synthetic series (balanced by subsampling)."""
    return discriminative_scores(real, synthetic, seed)["auc"]


def _three_axes(values: np.ndarray) -> np.ndarray:
    return values if values.ndim == 3 else values[:, :, None]


def step_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, T[, F]) series -> per-step mean and std over the series, each (T, F)."""
    series = _three_axes(np.asarray(values, dtype=np.float64))
    return series.mean(axis=0), series.std(axis=0)


def autocorrelation(values: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """(n, T[, F]) series -> (max_lag, F) mean over series of each series' autocorrelation at lags 1..max_lag.

    A flat series (no variation) counts as uncorrelated (0) rather than undefined. max_lag defaults
    to half the length, beyond which too few pairs are left to trust.
    """
    series = _three_axes(np.asarray(values, dtype=np.float64))
    steps = series.shape[1]
    max_lag = max(1, steps // 2) if max_lag is None else max_lag
    if not 1 <= max_lag < steps:
        raise ValueError(f"max_lag must be from 1 to {steps - 1} for series of {steps} steps, not {max_lag}")
    centred = series - series.mean(axis=1, keepdims=True)
    power = (centred**2).sum(axis=1)  # (n, F)
    lags = []
    for lag in range(1, max_lag + 1):
        products = (centred[:, lag:] * centred[:, :-lag]).sum(axis=1)
        lags.append(np.divide(products, power, out=np.zeros_like(products), where=power > 1e-12).mean(axis=0))
    return np.stack(lags)


def autocorrelation_gap(real: np.ndarray, synthetic: np.ndarray, max_lag: int | None = None) -> float:
    """Mean absolute difference of the real and synthetic mean autocorrelations over lags and channels (0 = same)."""
    return float(np.abs(autocorrelation(real, max_lag) - autocorrelation(synthetic, max_lag)).mean())


def sequence_quality(
    real: np.ndarray,
    synthetic: np.ndarray,
    real_labels: np.ndarray | None = None,
    synthetic_labels: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Every score above for (n, T[, F]) real and (m, T[, F]) synthetic series.

    Returns {"discriminative_auc", "discriminative_accuracy", "discriminative_gap" (|accuracy - 0.5|),
    "autocorrelation_gap", "mean_gap" and "std_gap" (mean absolute gap of the per-step bands, in the
    data's units), "tstr": `train_synthetic_test_real`'s dict, or None without labels of two classes or more}.
    """
    with one_blas_thread():  # the classifiers' solver; two BLAS threads on a busy machine took 15x as long
        told = discriminative_scores(real, synthetic, seed)
        tstr = None
        if real_labels is not None and synthetic_labels is not None and len(set(map(str, real_labels))) >= 2:
            tstr = train_synthetic_test_real(real, real_labels, synthetic, synthetic_labels, seed=seed)
    real_mean, real_std = step_moments(real)
    fake_mean, fake_std = step_moments(synthetic)
    return {
        "discriminative_auc": told["auc"],
        "discriminative_accuracy": told["accuracy"],
        "discriminative_gap": told["accuracy_gap"],
        "autocorrelation_gap": autocorrelation_gap(real, synthetic),
        "mean_gap": float(np.abs(real_mean - fake_mean).mean()),
        "std_gap": float(np.abs(real_std - fake_std).mean()),
        "tstr": tstr,
    }


def sequence_check(encoder: Any, real: Any, synthetic: Any, seed: int = 0) -> dict[str, float | None]:
    """Score a sequence model's generated frame against the real one (both in its layout; `encoder` is
    its fitted SequenceEncoder, which reads them), as a training check records it:
    {"quality": 1 - 2 |AUC - 0.5| (1 = indistinguishable, 0 = always told apart), "discriminative_auc",
    "autocorrelation_gap", "tstr_ratio": TSTR / TRTR, or None without labels of two classes or more}."""
    real_values, _ = encoder.series(real)
    fake_values, _ = encoder.series(synthetic)
    scores = sequence_quality(
        real_values, fake_values, encoder.series_labels(real), encoder.series_labels(synthetic), seed=seed
    )
    auc = scores["discriminative_auc"]
    return {
        "quality": 1.0 - 2.0 * abs(auc - 0.5),
        "discriminative_auc": auc,
        "autocorrelation_gap": scores["autocorrelation_gap"],
        "tstr_ratio": None if scores["tstr"] is None else scores["tstr"]["ratio"],
    }
