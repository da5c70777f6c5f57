"""Utility: does a model trained on synthetic rows predict a target on real rows as well?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import f1_score, r2_score
from sklearn.pipeline import Pipeline

from gen_models.data.errors import DataError
from gen_models.evaluation.columns import category_labels, check_same_columns, numeric_values, resolve
from gen_models.evaluation.features import fit_features, one_openmp_thread, split_holdout, subsample

MAX_UTILITY_TRAIN_ROWS = 5_000
# Boosting rounds for the utility models: enough for a clear signal, cheap on 5,000 rows.
UTILITY_BOOSTING_ROUNDS = 50


def utility(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    real_test: pd.DataFrame | None = None,
) -> dict:
    """Does a model trained on synthetic data predict ``target`` on real data as well?

    Train-synthetic-test-real versus train-real-test-real with histogram
    gradient boosting (50 rounds, at most 5,000 training rows, so both models
    get the same budget) on the other columns. If ``real_test`` is None,
    ``real`` is split 70/30 (seeded) into the training rows and the hold-out.
    Categorical targets use macro F1, numeric ones R^2 (which can be negative).

    Returns ``{"target", "task", "metric", "train_synthetic", "train_real",
    "ratio"}``; ``ratio`` is None when ``train_real`` is not positive, and a
    score is None when it cannot be computed (no usable rows).
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    if target not in real.columns:
        raise DataError(f"There is no column '{target}' to predict.", column=target)
    if len(real.columns) < 2:
        raise DataError("Predicting a column needs at least one other column to predict it from.")
    if real_test is None:
        real_train, real_test = split_holdout(real, seed)
    else:
        check_same_columns(real, real_test, "real_test")
        real_train, real_test = real, real_test[list(real.columns)]

    feature_kinds = {column: kind for column, kind in kinds.items() if column != target}
    encoder = fit_features([real_train], feature_kinds)
    task = "classification" if kinds[target] == "categorical" else "regression"
    train_synthetic = train_and_score(encoder, synthetic, real_test, target, kinds[target], seed)
    train_real = train_and_score(encoder, real_train, real_test, target, kinds[target], seed)
    ratio = None
    if train_synthetic is not None and train_real is not None and train_real > 0:
        ratio = train_synthetic / train_real
    return {
        "target": target,
        "task": task,
        "metric": "macro_f1" if task == "classification" else "r2",
        "train_synthetic": train_synthetic,
        "train_real": train_real,
        "ratio": ratio,
    }


def target_values(df: pd.DataFrame, target: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(target values, mask of rows whose target is present)."""
    if kind == "categorical":
        labels = category_labels(df[target])
        return labels, ~pd.isna(labels)
    values = numeric_values(df[target], kind)
    return values, ~np.isnan(values)


def train_and_score(
    encoder: Pipeline,
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    target_kind: str,
    seed: int,
    max_rows: int | None = MAX_UTILITY_TRAIN_ROWS,
) -> float | None:
    """Fit on ``train``, score on ``test`` (macro F1 or R^2); None when either has no usable target rows.

    ``encoder`` is a fitted ``fit_features`` pipeline for the feature columns; at most ``max_rows``
    training rows are used (None: all; the augmentation measure keeps every real and synthetic row).
    """
    if max_rows is not None:
        train = subsample(train, max_rows, np.random.default_rng(seed))
    y_train, train_present = target_values(train, target, target_kind)
    y_test, test_present = target_values(test, target, target_kind)
    if not train_present.any() or not test_present.any():
        return None
    x_train = encoder.transform(train)[train_present]
    x_test = encoder.transform(test)[test_present]
    y_train, y_test = y_train[train_present], y_test[test_present]

    if target_kind == "categorical":
        y_train, y_test = y_train.astype(str), y_test.astype(str)
        if len(np.unique(y_train)) == 1:
            # sklearn refuses a single class; the only sensible model predicts it.
            predictions = np.full(len(y_test), y_train[0])
        else:
            model = HistGradientBoostingClassifier(max_iter=UTILITY_BOOSTING_ROUNDS, random_state=seed)
            with one_openmp_thread():
                predictions = model.fit(x_train, y_train).predict(x_test)
        return float(f1_score(y_test, predictions, average="macro"))

    if len(y_test) < 2:
        return None  # R^2 is undefined on a single test row
    model = HistGradientBoostingRegressor(max_iter=UTILITY_BOOSTING_ROUNDS, random_state=seed)
    with one_openmp_thread():
        predictions = model.fit(x_train, y_train).predict(x_test)
    return float(r2_score(y_test, predictions))
