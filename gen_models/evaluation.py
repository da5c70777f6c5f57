"""Judge synthetic tabular data against the real data it imitates.

Every function takes a ``real`` and a ``synthetic`` DataFrame with the same
columns (in any order) and an optional ``kinds`` mapping column ->
``"continuous" | "integer" | "datetime" | "categorical"``. Columns missing from
``kinds`` are inferred from the real data by :func:`infer_kinds`. Datetimes are
compared as numbers (nanoseconds since the epoch); ``±inf`` counts as missing.

Fidelity (same definitions as the SDMetrics single-table quality report)
------------------------------------------------------------------------
Column shapes, one score per column in [0, 1]:

* numeric column:     ``1 - KS``, where ``KS = max_x |F_real(x) - F_syn(x)|``
  is the two-sample Kolmogorov-Smirnov statistic on the non-missing values;
* categorical column: ``1 - TVD``, where ``TVD = 1/2 * sum_k |p_k - q_k|`` over
  the category frequencies ``p`` (real) and ``q`` (synthetic); categories are
  compared as strings and "missing" is a category of its own.

Pair trends, one score per pair of columns in [0, 1]:

* both numeric: correlation similarity ``1 - |r_real - r_syn| / 2`` with the
  Pearson ``r`` over rows where both values are present;
* otherwise:    contingency similarity ``1 - TVD`` of the joint frequency
  tables. A numeric column in such a pair is cut into 10 equal-width bins whose
  edges come from the real data (right-closed like ``pandas.cut``); synthetic
  values are clipped into the outer bins and missing values get a bin of
  their own.

``quality = (mean(column shapes) + mean(pair trends)) / 2``; with a single
column there are no pairs and ``quality = mean(column shapes)``.

Edge cases: an undefined Pearson ``r`` (constant column, fewer than two
complete rows) counts as ``r = 0`` (no linear trend), so two constant columns
score 1 and a constant column against a correlated one scores ``1 - |r|/2``.
A numeric column that is entirely missing in the synthetic data but not in the
real data scores 0 (and 1 if both are entirely missing).

Detection, utility, privacy, coverage
-------------------------------------
* :func:`detection_auc`: mean cross-validated ROC AUC of a classifier telling
  real rows from synthetic ones (0.5 = indistinguishable, 1 = trivially told
  apart). Fold AUCs below 0.5 are a cross-validation artefact and count as 0.5.
* :func:`utility`: train on synthetic / test on real hold-out versus train on
  real / test on the same hold-out; macro F1 for categorical targets, R^2 for
  numeric ones; ``ratio = train_synthetic / train_real``.
* :func:`privacy`: distance to the closest real record (DCR) of synthetic rows
  versus that of real hold-out rows, and the share of exact copies.
* :func:`coverage`: real categories never generated, and the share of
  synthetic numeric values outside the real ``[min, max]``.

All results are deterministic given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from scipy import stats
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, r2_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

NUMERIC_KINDS = ("continuous", "integer", "datetime")
KINDS = (*NUMERIC_KINDS, "categorical")
# A numeric column with this many distinct values or fewer is treated as categorical.
MAX_CATEGORICAL_DISTINCT = 10
# Bins used to turn a numeric column into categories for contingency similarity.
N_BINS = 10
# Row caps that keep the model-based metrics fast on large tables.
MAX_DETECTION_ROWS = 5_000
MAX_PRIVACY_QUERIES = 5_000
MAX_PRIVACY_REFERENCE = 20_000
MAX_UTILITY_TRAIN_ROWS = 5_000
# Boosting rounds for the utility models: enough for a clear signal, cheap on 5,000 rows.
UTILITY_BOOSTING_ROUNDS = 50
# Rarer categories share an all-zero one-hot row, so ID-like columns cannot explode the width.
MAX_ONE_HOT_LEVELS = 50
HOLDOUT_FRACTION = 0.3
# Joint tables larger than this are compressed with np.unique instead of a dense bincount.
MAX_DENSE_JOINT_CELLS = 1_000_000
# Stands in for a missing category when rows are hashed (None would hash like the string "None").
MISSING_LABEL = "\x00<missing>"


# ---------------------------------------------------------------------------
# Column kinds and value conversion
# ---------------------------------------------------------------------------


def infer_kinds(df: pd.DataFrame) -> dict[str, str]:
    """Guess each column's kind from its dtype and number of distinct values.

    bool/object/string/category -> categorical; datetime64 -> datetime;
    numeric with <= 10 distinct values -> categorical; other integers ->
    integer; other numbers -> continuous; anything else -> categorical.
    """
    return {column: _infer_kind(df[column]) for column in df.columns}


def _infer_kind(series: pd.Series) -> str:
    """Kind of one column (see :func:`infer_kinds`)."""
    if ptypes.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if ptypes.is_datetime64_any_dtype(series):
        return "datetime"
    if ptypes.is_numeric_dtype(series):
        if series.nunique(dropna=True) <= MAX_CATEGORICAL_DISTINCT:
            return "categorical"
        return "integer" if ptypes.is_integer_dtype(series) else "continuous"
    return "categorical"


def _numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """Float array of a numeric or datetime column, NaN where missing or infinite."""
    if kind == "datetime" or ptypes.is_datetime64_any_dtype(series):
        moments = pd.to_datetime(series, errors="coerce")
        if getattr(moments.dt, "tz", None) is not None:
            moments = moments.dt.tz_convert(None)  # to naive UTC
        missing = moments.isna().to_numpy()
        values = moments.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)  # a copy
        values[missing] = np.nan
        return values
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    # A copy: to_numpy may return a read-only view of the caller's data.
    values = np.array(numbers, dtype=float)
    values[~np.isfinite(values)] = np.nan
    return values


def _category_labels(series: pd.Series) -> np.ndarray:
    """Object array of string labels, None where missing.

    Categories are compared as strings so that 1, 1.0 and "1" or True and
    "True" from differently typed real and synthetic columns still match;
    floats that are whole numbers are written without the ".0" for that reason.
    """
    missing = series.isna().to_numpy()
    if ptypes.is_float_dtype(series):
        present = series.to_numpy(dtype=float, na_value=np.nan)[~missing]
        whole = np.all(np.mod(present, 1) == 0) and np.all(np.abs(present) < 2**53)
        if whole:
            series = series.astype("Int64")
    labels = np.array(series.astype(str).to_numpy(dtype=object), dtype=object)  # writable copy
    labels[missing] = None
    return labels


def _resolve(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Check the two tables match, put synthetic columns in real order, complete the kinds."""
    _check_same_columns(real, synthetic, "synthetic")
    if len(real.columns) == 0:
        raise ValueError("the tables have no columns to evaluate")
    if len(real) == 0 or len(synthetic) == 0:
        raise ValueError(f"need at least one row in each table (real has {len(real)}, synthetic has {len(synthetic)})")
    full_kinds = {}
    for column in real.columns:
        kind = (kinds or {}).get(column) or _infer_kind(real[column])
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} for column {column!r}; expected one of {KINDS}")
        full_kinds[column] = kind
    return real, synthetic[list(real.columns)], full_kinds


def _check_same_columns(real: pd.DataFrame, other: pd.DataFrame, name: str) -> None:
    """Raise ValueError naming the columns ``other`` lacks or has in excess of ``real``."""
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        raise ValueError(f"{name} data columns differ from the real data: missing {missing}, extra {extra}")


# ---------------------------------------------------------------------------
# Fidelity: column shapes and pair trends
# ---------------------------------------------------------------------------


@dataclass
class _PreparedColumn:
    """One column of both tables, converted once for every fidelity metric.

    ``real_values``/``synthetic_values`` are float arrays for numeric kinds
    (None for categorical ones). ``real_codes``/``synthetic_codes`` are integer
    codes in ``[0, n_levels)`` shared by both tables: categories (missing
    included) for a categorical column, the 10 real-data bins plus a "missing"
    bin for a numeric one.
    """

    numeric: bool
    real_values: np.ndarray | None
    synthetic_values: np.ndarray | None
    real_codes: np.ndarray
    synthetic_codes: np.ndarray
    n_levels: int


def _prepare_columns(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> dict[str, _PreparedColumn]:
    """Convert every column once so the pair loop only does array arithmetic."""
    prepared = {}
    for column in real.columns:
        if kinds[column] == "categorical":
            real_codes, synthetic_codes, n_levels = _shared_codes(
                _category_labels(real[column]), _category_labels(synthetic[column])
            )
            prepared[column] = _PreparedColumn(False, None, None, real_codes, synthetic_codes, n_levels)
        else:
            real_values = _numeric_values(real[column], kinds[column])
            synthetic_values = _numeric_values(synthetic[column], kinds[column])
            real_codes, synthetic_codes = _bin_codes(real_values, synthetic_values)
            prepared[column] = _PreparedColumn(
                True, real_values, synthetic_values, real_codes, synthetic_codes, N_BINS + 1
            )
    return prepared


def _shared_codes(real_labels: np.ndarray, synthetic_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes for both label arrays from one shared vocabulary; missing gets a code."""
    codes, uniques = pd.factorize(np.concatenate([real_labels, synthetic_labels]), use_na_sentinel=False)
    return codes[: len(real_labels)], codes[len(real_labels) :], len(uniques)


def _bin_codes(real_values: np.ndarray, synthetic_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin codes 0..9 from 10 equal-width real-data bins; code 10 means missing.

    Searching the inner edges clips out-of-range synthetic values into the
    outer bins, and ``side="left"`` makes bins right-closed like ``pandas.cut``.
    """
    present = real_values[~np.isnan(real_values)]
    # With no real values there is nothing to bin against: every value shares bin 0.
    edges = np.histogram_bin_edges(present, bins=N_BINS) if len(present) else np.zeros(N_BINS + 1)
    inner_edges = edges[1:-1]

    def codes(values: np.ndarray) -> np.ndarray:
        binned = np.searchsorted(inner_edges, values, side="left")
        binned[np.isnan(values)] = N_BINS
        return binned

    return codes(real_values), codes(synthetic_values)


def _tvd(real_codes: np.ndarray, synthetic_codes: np.ndarray, n_levels: int) -> float:
    """Total variation distance between the code frequencies of two tables."""
    if n_levels > MAX_DENSE_JOINT_CELLS:
        # Sparse joint codes: renumber the cells that actually occur.
        _, inverse = np.unique(np.concatenate([real_codes, synthetic_codes]), return_inverse=True)
        real_codes, synthetic_codes = inverse[: len(real_codes)], inverse[len(real_codes) :]
        n_levels = int(inverse.max()) + 1
    p = np.bincount(real_codes, minlength=n_levels) / len(real_codes)
    q = np.bincount(synthetic_codes, minlength=n_levels) / len(synthetic_codes)
    return float(0.5 * np.abs(p - q).sum())


def _ks_complement(real_values: np.ndarray, synthetic_values: np.ndarray) -> float:
    """1 - KS statistic on the non-missing values (see module docstring for empty columns)."""
    real_present = real_values[~np.isnan(real_values)]
    synthetic_present = synthetic_values[~np.isnan(synthetic_values)]
    if len(real_present) == 0 or len(synthetic_present) == 0:
        return 1.0 if len(real_present) == len(synthetic_present) else 0.0
    # The statistic does not depend on the p-value method; "asymp" avoids the slow exact one.
    statistic = stats.ks_2samp(real_present, synthetic_present, method="asymp").statistic
    return float(1.0 - statistic)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r over rows where both are present; 0 when undefined (constant or < 2 rows)."""
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    # np.ptp guards constant columns exactly; a - mean could leave rounding noise.
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    r = (a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum())
    return float(np.clip(r, -1.0, 1.0))


def _column_score(column: _PreparedColumn) -> float:
    """Column-shape score of one prepared column."""
    if column.numeric:
        return _ks_complement(column.real_values, column.synthetic_values)
    return 1.0 - _tvd(column.real_codes, column.synthetic_codes, column.n_levels)


def _pair_score(first: _PreparedColumn, second: _PreparedColumn) -> tuple[str, float]:
    """(metric name, score) for one column pair."""
    if first.numeric and second.numeric:
        r_real = _pearson(first.real_values, second.real_values)
        r_synthetic = _pearson(first.synthetic_values, second.synthetic_values)
        return "correlation", 1.0 - abs(r_real - r_synthetic) / 2.0
    # Combined code of a row = first code * (levels of second) + second code.
    real_joint = first.real_codes.astype(np.int64) * second.n_levels + second.real_codes
    synthetic_joint = first.synthetic_codes.astype(np.int64) * second.n_levels + second.synthetic_codes
    tvd = _tvd(real_joint, synthetic_joint, first.n_levels * second.n_levels)
    return "contingency", 1.0 - tvd


def _pair_results(prepared: dict[str, _PreparedColumn]) -> list[dict]:
    """Every column pair (in column order) as {"columns", "metric", "score"}."""
    names = list(prepared)
    results = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            metric, score = _pair_score(prepared[first], prepared[second])
            results.append({"columns": [first, second], "metric": metric, "score": score})
    return results


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict[str, float]:
    """Column -> shape score in [0, 1] (1 - KS for numeric, 1 - TVD for categorical)."""
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    prepared = _prepare_columns(real, synthetic, kinds)
    return {name: _column_score(column) for name, column in prepared.items()}


def pair_trends(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None
) -> dict[tuple[str, str], float]:
    """(column a, column b) -> trend score in [0, 1] (correlation or contingency similarity)."""
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    pairs = _pair_results(_prepare_columns(real, synthetic, kinds))
    return {(pair["columns"][0], pair["columns"][1]): pair["score"] for pair in pairs}


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """Overall fidelity with its breakdown.

    Returns ``{"quality", "column_shapes", "pair_trends", "columns": {column:
    score}, "pairs": [{"columns": [a, b], "metric", "score"}]}``;
    ``pair_trends`` is None when there is only one column.
    """
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    prepared = _prepare_columns(real, synthetic, kinds)
    columns = {name: _column_score(column) for name, column in prepared.items()}
    pairs = _pair_results(prepared)
    shapes = float(np.mean(list(columns.values())))
    trends = float(np.mean([pair["score"] for pair in pairs])) if pairs else None
    quality = shapes if trends is None else (shapes + trends) / 2.0
    return {
        "quality": quality,
        "column_shapes": shapes,
        "pair_trends": trends,
        "columns": columns,
        "pairs": pairs,
    }


# ---------------------------------------------------------------------------
# Features for the model-based metrics
# ---------------------------------------------------------------------------


@dataclass
class _FeatureEncoder:
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
                labels = _category_labels(df[column])
                missing = pd.isna(labels)
                # -1 for missing values and for levels rarer than the kept ones.
                codes = pd.Index(self.levels[column], dtype=object).get_indexer(labels)
                one_hot = np.zeros((len(df), len(self.levels[column]) + 1))
                known = codes >= 0
                one_hot[np.flatnonzero(known), codes[known]] = 1.0
                one_hot[:, -1] = missing
                blocks.append(one_hot)
            else:
                values = _numeric_values(df[column], kind)
                missing = np.isnan(values)
                scaled = (values - self.means[column]) / self.scales[column]
                scaled[missing] = 0.0
                blocks.append(np.column_stack([scaled, missing.astype(float)]))
        return np.hstack(blocks)


def _fit_features(frames: list[pd.DataFrame], kinds: dict[str, str]) -> _FeatureEncoder:
    """Learn scaling and levels from the rows of ``frames`` taken together."""
    data = pd.concat(frames, ignore_index=True)
    means, scales, levels = {}, {}, {}
    for column, kind in kinds.items():
        if kind == "categorical":
            counts = pd.Series(_category_labels(data[column])).value_counts(dropna=True)
            levels[column] = [str(level) for level in counts.index[:MAX_ONE_HOT_LEVELS]]
        else:
            values = _numeric_values(data[column], kind)
            present = values[~np.isnan(values)]
            means[column] = float(present.mean()) if len(present) else 0.0
            scale = float(present.std()) if len(present) else 0.0
            # A constant column would divide by zero; any scale leaves it constant.
            scales[column] = scale if scale > 0 else 1.0
    return _FeatureEncoder(dict(kinds), means, scales, levels)


def _one_openmp_thread() -> threadpool_limits:
    """Context that runs OpenMP code (histogram gradient boosting) on one thread.

    On a small, busy machine (a Streamlit app training in the background)
    OpenMP's spinning worker threads slowed a boosting fit by 15x in our
    measurements; one thread is slower at best but never pathological.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def _subsample(df: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``n`` rows of ``df``, drawn without replacement."""
    if len(df) <= n:
        return df
    return df.iloc[np.sort(rng.choice(len(df), size=n, replace=False))]


def _split(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded shuffle split into 70 % train and 30 % hold-out (each at least one row)."""
    if len(df) < 2:
        raise ValueError("need at least 2 real rows to split off a hold-out")
    order = np.random.default_rng(seed).permutation(len(df))
    n_holdout = min(max(1, round(len(df) * HOLDOUT_FRACTION)), len(df) - 1)
    return df.iloc[np.sort(order[n_holdout:])], df.iloc[np.sort(order[:n_holdout])]


# ---------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------


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
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    n = min(len(real), len(synthetic), MAX_DETECTION_ROWS)
    if n < 2:
        raise ValueError("detection needs at least 2 rows in each table")
    rng = np.random.default_rng(seed)
    real_rows = _subsample(real, n, rng)
    synthetic_rows = _subsample(synthetic, n, rng)
    encoder = _fit_features([real_rows, synthetic_rows], kinds)
    features = np.vstack([encoder.transform(real_rows), encoder.transform(synthetic_rows)])
    labels = np.concatenate([np.zeros(n), np.ones(n)])
    if classifier == "logistic":
        model = LogisticRegression(max_iter=1000)
    elif classifier == "boosting":
        model = HistGradientBoostingClassifier(random_state=seed)
    else:
        raise ValueError(f"unknown classifier {classifier!r}; expected 'logistic' or 'boosting'")
    folds = StratifiedKFold(n_splits=min(5, n), shuffle=True, random_state=seed)
    with _one_openmp_thread():
        scores = cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")
    return float(np.mean(np.maximum(scores, 0.5)))


# ---------------------------------------------------------------------------
# Utility
# ---------------------------------------------------------------------------


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
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    if target not in real.columns:
        raise ValueError(f"target column {target!r} is not in the data")
    if len(real.columns) < 2:
        raise ValueError("utility needs at least one feature column besides the target")
    if real_test is None:
        real_train, real_test = _split(real, seed)
    else:
        _check_same_columns(real, real_test, "real_test")
        real_train, real_test = real, real_test[list(real.columns)]

    feature_kinds = {column: kind for column, kind in kinds.items() if column != target}
    encoder = _fit_features([real_train], feature_kinds)
    task = "classification" if kinds[target] == "categorical" else "regression"
    train_synthetic = _train_and_score(encoder, synthetic, real_test, target, kinds[target], seed)
    train_real = _train_and_score(encoder, real_train, real_test, target, kinds[target], seed)
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


def _target_values(df: pd.DataFrame, target: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(target values, mask of rows whose target is present)."""
    if kind == "categorical":
        labels = _category_labels(df[target])
        return labels, ~pd.isna(labels)
    values = _numeric_values(df[target], kind)
    return values, ~np.isnan(values)


def _train_and_score(
    encoder: _FeatureEncoder,
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    target_kind: str,
    seed: int,
) -> float | None:
    """Fit on ``train``, score on ``test``; None when either has no usable target rows."""
    train = _subsample(train, MAX_UTILITY_TRAIN_ROWS, np.random.default_rng(seed))
    y_train, train_present = _target_values(train, target, target_kind)
    y_test, test_present = _target_values(test, target, target_kind)
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
            with _one_openmp_thread():
                predictions = model.fit(x_train, y_train).predict(x_test)
        return float(f1_score(y_test, predictions, average="macro"))

    if len(y_test) < 2:
        return None  # R^2 is undefined on a single test row
    model = HistGradientBoostingRegressor(max_iter=UTILITY_BOOSTING_ROUNDS, random_state=seed)
    with _one_openmp_thread():
        predictions = model.fit(x_train, y_train).predict(x_test)
    return float(r2_score(y_test, predictions))


# ---------------------------------------------------------------------------
# Privacy
# ---------------------------------------------------------------------------


def privacy(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    real_holdout: pd.DataFrame | None = None,
) -> dict:
    """Are synthetic rows suspiciously close to real ones?

    The distance to the closest record (DCR, Euclidean on standardised numeric
    and one-hot features) is measured from each synthetic row and from each
    real hold-out row to the same real reference rows. If synthetic rows sit
    much closer than hold-out rows, the generator is copying. Without
    ``real_holdout``, ``real`` is split 70/30 (seeded) into reference and
    hold-out; at most 5,000 query rows and 20,000 reference rows are used.

    Returns ``{"dcr_synthetic_median", "dcr_holdout_median", "exact_copies"}``
    where ``exact_copies`` is the share of synthetic rows identical to a row
    of ``real``.
    """
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    if real_holdout is None:
        reference, holdout = _split(real, seed)
    else:
        _check_same_columns(real, real_holdout, "real_holdout")
        reference, holdout = real, real_holdout[list(real.columns)]
    if len(holdout) == 0:
        raise ValueError("real_holdout has no rows")

    rng = np.random.default_rng(seed)
    reference = _subsample(reference, MAX_PRIVACY_REFERENCE, rng)
    encoder = _fit_features([reference], kinds)
    neighbours = NearestNeighbors(n_neighbors=1).fit(encoder.transform(reference))

    def median_dcr(rows: pd.DataFrame) -> float:
        features = encoder.transform(_subsample(rows, MAX_PRIVACY_QUERIES, rng))
        distances, _ = neighbours.kneighbors(features)
        return float(np.median(distances[:, 0]))

    return {
        "dcr_synthetic_median": median_dcr(synthetic),
        "dcr_holdout_median": median_dcr(holdout),
        "exact_copies": _exact_copy_share(real, synthetic, kinds),
    }


def _row_hashes(df: pd.DataFrame, kinds: dict[str, str]) -> np.ndarray:
    """64-bit hash per row of the canonical values (floats for numbers, string labels)."""
    canonical = {}
    for column, kind in kinds.items():
        if kind == "categorical":
            labels = _category_labels(df[column])
            labels[pd.isna(labels)] = MISSING_LABEL
            canonical[column] = labels
        else:
            canonical[column] = _numeric_values(df[column], kind)
    return pd.util.hash_pandas_object(pd.DataFrame(canonical), index=False).to_numpy()


def _exact_copy_share(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> float:
    """Share of synthetic rows equal, in every column, to some real row."""
    copies = np.isin(_row_hashes(synthetic, kinds), _row_hashes(real, kinds))
    return float(copies.mean())


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------


def coverage(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """What the generator never produces, and what it produces outside the real range.

    Returns ``{"missing_categories": {column: [levels]}, "out_of_range":
    {column: share}}``: for each categorical column the real levels (as
    strings, in order of first appearance) absent from the synthetic data
    (only columns with at least one such level are listed), and for each
    numeric column the share of present synthetic values below the real
    minimum or above the real maximum (0.0 when there are no values to judge).
    """
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    missing_categories: dict[str, list[str]] = {}
    out_of_range: dict[str, float] = {}
    for column, kind in kinds.items():
        if kind == "categorical":
            real_levels = pd.unique(_category_labels(real[column]))
            synthetic_levels = set(_category_labels(synthetic[column]))
            never = [level for level in real_levels if level is not None and level not in synthetic_levels]
            if never:
                missing_categories[column] = never
        else:
            out_of_range[column] = _out_of_range_share(
                _numeric_values(real[column], kind), _numeric_values(synthetic[column], kind)
            )
    return {"missing_categories": missing_categories, "out_of_range": out_of_range}


def _out_of_range_share(real_values: np.ndarray, synthetic_values: np.ndarray) -> float:
    """Share of present synthetic values outside the real [min, max]."""
    real_present = real_values[~np.isnan(real_values)]
    synthetic_present = synthetic_values[~np.isnan(synthetic_values)]
    if len(synthetic_present) == 0:
        return 0.0
    if len(real_present) == 0:
        return 1.0  # the real column is empty, so any value lies outside it
    outside = (synthetic_present < real_present.min()) | (synthetic_present > real_present.max())
    return float(outside.mean())


# ---------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    kinds: dict[str, str] | None = None,
    seed: int = 0,
    real_test: pd.DataFrame | None = None,
) -> dict:
    """All metrics in one JSON-serialisable dict.

    Keys: ``quality``, ``column_shapes``, ``pair_trends``, ``detection_auc``,
    ``utility`` (None without ``target``), ``privacy``, ``coverage``,
    ``columns``, ``pairs`` and ``kinds``. ``real_test``, if given, is real data
    the generator never saw; it serves as the utility test set and the privacy
    hold-out (otherwise both come from a seeded 70/30 split of ``real``).
    """
    real, synthetic, kinds = _resolve(real, synthetic, kinds)
    quality = quality_score(real, synthetic, kinds)
    report = {
        "quality": quality["quality"],
        "column_shapes": quality["column_shapes"],
        "pair_trends": quality["pair_trends"],
        "detection_auc": detection_auc(real, synthetic, kinds, seed),
        "utility": None,
        "privacy": privacy(real, synthetic, kinds, seed, real_holdout=real_test),
        "coverage": coverage(real, synthetic, kinds),
        "columns": quality["columns"],
        "pairs": quality["pairs"],
        "kinds": kinds,
    }
    if target is not None:
        report["utility"] = utility(real, synthetic, target, kinds, seed, real_test=real_test)
    return _plain(report)


def _plain(value: object) -> object:
    """Copy of ``value`` with numpy scalars turned into Python ones and keys into strings."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
