"""Fidelity: column shapes and pair trends (same definitions as the SDMetrics single-table quality report).

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

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from gen_models.evaluation.columns import category_labels, numeric_values, resolve

# Bins used to turn a numeric column into categories for contingency similarity.
N_BINS = 10
# Joint tables larger than this are compressed with np.unique instead of a dense bincount.
MAX_DENSE_JOINT_CELLS = 1_000_000


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
                category_labels(real[column]), category_labels(synthetic[column])
            )
            prepared[column] = _PreparedColumn(False, None, None, real_codes, synthetic_codes, n_levels)
        else:
            real_values = numeric_values(real[column], kinds[column])
            synthetic_values = numeric_values(synthetic[column], kinds[column])
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
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    prepared = _prepare_columns(real, synthetic, kinds)
    return {name: _column_score(column) for name, column in prepared.items()}


def pair_trends(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None
) -> dict[tuple[str, str], float]:
    """(column a, column b) -> trend score in [0, 1] (correlation or contingency similarity)."""
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    pairs = _pair_results(_prepare_columns(real, synthetic, kinds))
    return {(pair["columns"][0], pair["columns"][1]): pair["score"] for pair in pairs}


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """Overall fidelity with its breakdown.

    Returns ``{"quality", "column_shapes", "pair_trends", "columns": {column:
    score}, "pairs": [{"columns": [a, b], "metric", "score"}]}``;
    ``pair_trends`` is None when there is only one column.
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
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
