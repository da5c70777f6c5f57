"""Detection: can a classifier tell real rows from synthetic ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from gen_models.data.errors import DataError
from gen_models.evaluation.columns import resolve
from gen_models.evaluation.features import fit_features, one_blas_thread, one_openmp_thread, subsample

# Row cap that keeps detection fast on large tables.
MAX_DETECTION_ROWS = 5_000


def detection_auc(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    classifier: str = "logistic",
) -> float:
    """Mean ROC AUC of a classifier telling real rows from synthetic ones.

    Both tables are subsampled to the smaller size (at most 5,000 rows each)
    so the classes are balanced; the score is the mean over a seeded,
    stratified 5-fold cross-validation. ``classifier`` is ``"logistic"``
    (logistic regression on standardised/one-hot features) or ``"boosting"``
    (histogram gradient boosting, which also catches non-linear tells).
    0.5 means indistinguishable, 1.0 means every row is told apart.

    Each fold's AUC is floored at 0.5, as SDMetrics does: when there is
    nothing to learn, cross-validation anti-learns (a training fold's class
    means are the mirror image of its test fold's), giving AUCs near 0.4 for
    identical tables, and "worse than chance" carries no meaning here.
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    n = min(len(real), len(synthetic), MAX_DETECTION_ROWS)
    if n < 2:
        raise DataError(
            f"Scoring needs at least 2 rows in each table (real has {len(real)}, synthetic has {len(synthetic)})."
        )
    rng = np.random.default_rng(seed)
    real_rows = subsample(real, n, rng)
    synthetic_rows = subsample(synthetic, n, rng)
    encoder = fit_features([real_rows, synthetic_rows], kinds)
    features = np.vstack([encoder.transform(real_rows), encoder.transform(synthetic_rows)])
    labels = np.concatenate([np.zeros(n), np.ones(n)])
    if classifier == "logistic":
        model = LogisticRegression(max_iter=1000)
    elif classifier == "boosting":
        model = HistGradientBoostingClassifier(random_state=seed)
    else:
        raise ValueError(f"unknown classifier {classifier!r}; expected 'logistic' or 'boosting'")
    folds = StratifiedKFold(n_splits=min(5, n), shuffle=True, random_state=seed)
    with one_openmp_thread(), one_blas_thread():  # boosting's OpenMP, the logistic solver's BLAS (see features)
        scores = cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")
    return float(np.mean(np.maximum(scores, 0.5)))
