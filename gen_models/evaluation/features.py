"""Rows as a dense numeric matrix for the model-based metrics (detection, utility, privacy), and the
row sampling and hold-out split those metrics share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from gen_models.evaluation.columns import category_labels, numeric_values

# Rarer categories share an all-zero one-hot row, so ID-like columns cannot explode the width.
MAX_ONE_HOT_LEVELS = 50
HOLDOUT_FRACTION = 0.3


@dataclass
class FeatureEncoder:
    """Turns table rows into a dense numeric matrix for sklearn models.

    Numeric columns are standardised (missing -> 0, the mean) and
    categorical ones one-hot encoded over their most frequent levels; every
    column also gets a 0/1 "missing" indicator so that missingness itself is
    a feature a detector can use.
    """

    kinds: dict[str, str]
    means: dict[str, float]
    scales: dict[str, float]
    levels: dict[str, list[str]]

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n_rows, n_features) float matrix."""
        blocks = []
        for column, kind in self.kinds.items():
            if kind == "categorical":
                labels = category_labels(df[column])
                missing = pd.isna(labels)
                # -1 for missing values and for levels rarer than the kept ones.
                codes = pd.Index(self.levels[column], dtype=object).get_indexer(labels)
                one_hot = np.zeros((len(df), len(self.levels[column]) + 1))
                known = codes >= 0
                one_hot[np.flatnonzero(known), codes[known]] = 1.0
                one_hot[:, -1] = missing
                blocks.append(one_hot)
            else:
                values = numeric_values(df[column], kind)
                missing = np.isnan(values)
                scaled = (values - self.means[column]) / self.scales[column]
                scaled[missing] = 0.0
                blocks.append(np.column_stack([scaled, missing.astype(float)]))
        return np.hstack(blocks)


def fit_features(frames: list[pd.DataFrame], kinds: dict[str, str]) -> FeatureEncoder:
    """Learn scaling and levels from the rows of ``frames`` taken together."""
    data = pd.concat(frames, ignore_index=True)
    means, scales, levels = {}, {}, {}
    for column, kind in kinds.items():
        if kind == "categorical":
            counts = pd.Series(category_labels(data[column])).value_counts(dropna=True)
            levels[column] = [str(level) for level in counts.index[:MAX_ONE_HOT_LEVELS]]
        else:
            values = numeric_values(data[column], kind)
            present = values[~np.isnan(values)]
            means[column] = float(present.mean()) if len(present) else 0.0
            scale = float(present.std()) if len(present) else 0.0
            # A constant column would divide by zero; any scale leaves it constant.
            scales[column] = scale if scale > 0 else 1.0
    return FeatureEncoder(dict(kinds), means, scales, levels)


def one_openmp_thread() -> threadpool_limits:
    """Context that runs OpenMP code (histogram gradient boosting) on one thread.

    On a small, busy machine (a Streamlit app training in the background)
    OpenMP's spinning worker threads slowed a boosting fit by 15x in our
    measurements; one thread is slower at best but never pathological.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def subsample(df: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``n`` rows of ``df``, drawn without replacement."""
    if len(df) <= n:
        return df
    return df.iloc[np.sort(rng.choice(len(df), size=n, replace=False))]


def split_holdout(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded shuffle split into 70 % train and 30 % hold-out (each at least one row)."""
    if len(df) < 2:
        raise ValueError("need at least 2 real rows to split off a hold-out")
    order = np.random.default_rng(seed).permutation(len(df))
    n_holdout = min(max(1, round(len(df) * HOLDOUT_FRACTION)), len(df) - 1)
    return df.iloc[np.sort(order[n_holdout:])], df.iloc[np.sort(order[:n_holdout])]
