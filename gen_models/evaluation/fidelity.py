"""Fidelity: column shapes and column pair trends, as SDMetrics' single-table QualityReport defines them.

The definitions follow SDMetrics 0.29 (`reports/single_table/_properties/column_shapes.py`,
`column_pair_trends.py` and the metrics they call), so a score here is the score SDMetrics gives.

Column shapes, one score per column in [0, 1]:

* numeric or datetime column: ``KSComplement = 1 - KS``, the two-sample Kolmogorov-Smirnov statistic on the
  non-missing values (rounded to 14 decimals, as SDMetrics does; datetimes as nanoseconds);
* categorical column: ``TVComplement = 1 - TVD``, ``TVD = 1/2 * sum_k |p_k - q_k|`` over the levels of both tables,
  frequencies among the *non-missing* values (missing cells are dropped, not a level).

A column with no value left on either side has no score (None) and is left out of the average.

Column pair trends, one entry per pair of columns (in column order):

* both numeric: ``CorrelationSimilarity = 1 - |r_real - r_syn| / 2`` with Pearson's ``r`` over the rows where both
  values are present. Undefined (None) when a column is constant in either table or ``r`` cannot be computed.
  The pair **counts** towards the average only when the real correlation is strong: ``|r_real| > 0.5``.
* both categorical: ``ContingencySimilarity = 1 - TVD`` of the two joint frequency tables, missing being a level of
  its own. The pair counts only when the real columns are associated: Cramér's V of the real contingency table
  ``> 0.3`` (a table with fewer than two levels on a side has no V and does not count).
* one numeric, one categorical: the numeric column is discretised *in each table on its own*: 10 equal-width bins
  from that table's own values (``np.histogram_bin_edges``), codes from ``np.digitize``, so the largest value and
  missing values share the last code, as in SDMetrics; then as two categoricals.

Tables of more than 50,000 rows use a seeded sample of 50,000 rows for contingency tables (SDMetrics samples the
same number without a seed). ``column_shapes`` and ``pair_trends`` are the means of the defined, counted scores;
``quality`` is the mean of those two, or the one that exists (a table with no strongly related pair has
``pair_trends = None`` and ``quality = column_shapes``).

The thresholds are why a table whose columns were shuffled independently (every shape perfect, every relation
gone) scores well below 1: only the pairs that really are related in the data are judged, and there the shuffled
table fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gen_models.evaluation.columns import category_labels, numeric_values, resolve

# Bins of a numeric column in a numeric-categorical pair (SDMetrics' default num_discrete_bins).
N_BINS = 10
# A pair counts towards pair trends only when the real data relate its columns this strongly
# (SDMetrics' DEFAULT_REAL_CORRELATION_THRESHOLD and DEFAULT_REAL_ASSOCIATION_THRESHOLD).
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3
# Contingency tables are built from at most this many rows of each table (SDMetrics' DEFAULT_NUM_ROWS_SUBSAMPLE).
MAX_CONTINGENCY_ROWS = 50_000
# Numbers are rounded to this many decimals before the KS statistic (SDMetrics' MAX_DECIMALS).
KS_DECIMALS = 14
# Wide tables have too many pairs to score in seconds (2,000 columns: 2 million pairs); above this many, a seeded
# sample of pairs is scored and the result says so (SDMetrics scores them all, slowly).
MAX_PAIRS = 5_000


@dataclass
class _PreparedColumn:
    """One column of both tables, converted once for every fidelity metric.

    Numeric kinds: ``real_values``/``synthetic_values`` are float arrays (NaN = missing) and ``real_codes``/
    ``synthetic_codes`` each table's own bin codes 1..11 (11 also for missing). Categorical: integer codes shared by
    both tables, missing included as a code (``missing_code``); values are None.
    """

    numeric: bool
    real_values: np.ndarray | None
    synthetic_values: np.ndarray | None
    real_codes: np.ndarray
    synthetic_codes: np.ndarray
    missing_code: int | None = None  # categorical columns: the code of a missing cell, if any


def _prepare_columns(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> dict[str, _PreparedColumn]:
    """Convert every column once so the pair loop only does array arithmetic."""
    prepared = {}
    for column in real.columns:
        if kinds[column] == "categorical":
            real_labels, synthetic_labels = category_labels(real[column]), category_labels(synthetic[column])
            codes, uniques = pd.factorize(np.concatenate([real_labels, synthetic_labels]), use_na_sentinel=False)
            missing = [i for i, level in enumerate(uniques) if pd.isna(level)]
            prepared[column] = _PreparedColumn(
                False, None, None, codes[: len(real_labels)], codes[len(real_labels) :], missing[0] if missing else None
            )
        else:
            real_values = numeric_values(real[column], kinds[column])
            synthetic_values = numeric_values(synthetic[column], kinds[column])
            prepared[column] = _PreparedColumn(
                True, real_values, synthetic_values, _own_bin_codes(real_values), _own_bin_codes(synthetic_values)
            )
    return prepared


def _own_bin_codes(values: np.ndarray) -> np.ndarray:
    """SDMetrics' discretisation: 10 equal-width bins from these values' own range, codes 1..11, NaN -> 11."""
    edges = np.histogram_bin_edges(values[~np.isnan(values)], bins=N_BINS)
    return np.digitize(values, bins=edges)


def _ks_complement(real_values: np.ndarray, synthetic_values: np.ndarray) -> float | None:
    """1 - KS statistic on the non-missing values; None when either side has none."""
    real_present = np.round(real_values[~np.isnan(real_values)], KS_DECIMALS)
    synthetic_present = np.round(synthetic_values[~np.isnan(synthetic_values)], KS_DECIMALS)
    if len(real_present) == 0 or len(synthetic_present) == 0:
        return None
    return 1.0 - ks_statistic(real_present, synthetic_present)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic max_x |F_a(x) - F_b(x)|, as scipy.stats.ks_2samp computes it.

    Written out because scipy's wrapper costs ~3 ms a call, which dominated wide tables; a test checks it
    against scipy.
    """
    a, b = np.sort(a), np.sort(b)
    values = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, values, side="right") / len(a)
    cdf_b = np.searchsorted(b, values, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _tv_complement(column: _PreparedColumn) -> float | None:
    """1 - TVD of the level frequencies among non-missing cells; None when either side has none."""
    real, synthetic = column.real_codes, column.synthetic_codes
    if column.missing_code is not None:
        real, synthetic = real[real != column.missing_code], synthetic[synthetic != column.missing_code]
    if len(real) == 0 or len(synthetic) == 0:
        return None
    return 1.0 - _tvd(real, synthetic)


def _tvd(real_codes: np.ndarray, synthetic_codes: np.ndarray) -> float:
    """Total variation distance between the code frequencies of two tables (codes renumbered densely)."""
    _, inverse = np.unique(np.concatenate([real_codes, synthetic_codes]), return_inverse=True)
    n_levels = int(inverse.max()) + 1
    p = np.bincount(inverse[: len(real_codes)], minlength=n_levels) / len(real_codes)
    q = np.bincount(inverse[len(real_codes) :], minlength=n_levels) / len(synthetic_codes)
    return float(0.5 * np.abs(p - q).sum())


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson r over rows where both are present; None when undefined (fewer than 2 rows or constant)."""
    both = ~(np.isnan(a) | np.isnan(b))
    a, b = a[both], b[both]
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(np.clip(np.corrcoef(a, b)[0, 1], -1.0, 1.0))


def _constant(values: np.ndarray) -> bool:
    """One distinct present value (SDMetrics refuses a correlation then; an empty column is not constant)."""
    present = values[~np.isnan(values)]
    return len(present) > 0 and np.ptp(present) == 0


def _correlation_pair(first: _PreparedColumn, second: _PreparedColumn) -> dict:
    """CorrelationSimilarity of two numeric columns, with the real r that decides whether it counts."""
    columns = (first.real_values, second.real_values, first.synthetic_values, second.synthetic_values)
    if any(_constant(values) for values in columns):
        return {"metric": "correlation", "score": None, "real": None, "counted": False}
    r_real = _pearson(first.real_values, second.real_values)
    r_synthetic = _pearson(first.synthetic_values, second.synthetic_values)
    if r_real is None or r_synthetic is None:
        return {"metric": "correlation", "score": None, "real": r_real, "counted": False}
    return {
        "metric": "correlation",
        "score": 1.0 - abs(r_real - r_synthetic) / 2.0,
        "real": r_real,
        "counted": abs(r_real) > REAL_CORRELATION_THRESHOLD,
    }


def _contingency_pair(first: _PreparedColumn, second: _PreparedColumn, rows: tuple[np.ndarray, np.ndarray]) -> dict:
    """ContingencySimilarity of two (discretised) columns, with the real Cramér's V that decides whether it counts.

    ``rows`` picks the rows of each table that enter the contingency tables (all, or a seeded sample).
    """
    real_rows, synthetic_rows = rows
    width = int(max(second.real_codes.max(initial=0), second.synthetic_codes.max(initial=0))) + 1
    real_joint = first.real_codes[real_rows].astype(np.int64) * width + second.real_codes[real_rows]
    synthetic_joint = (
        first.synthetic_codes[synthetic_rows].astype(np.int64) * width + second.synthetic_codes[synthetic_rows]
    )
    real_association = _cramers_v(first.real_codes[real_rows], second.real_codes[real_rows])
    return {
        "metric": "contingency",
        "score": 1.0 - _tvd(real_joint, synthetic_joint),
        "real": real_association,
        "counted": real_association is not None and real_association > REAL_ASSOCIATION_THRESHOLD,
    }


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cramér's V of two code arrays; None with fewer than 2 levels on a side."""
    a_levels, a_codes = np.unique(a, return_inverse=True)
    b_levels, b_codes = np.unique(b, return_inverse=True)
    if len(a_levels) < 2 or len(b_levels) < 2:
        return None
    table = np.zeros((len(a_levels), len(b_levels)), dtype=np.int64)
    np.add.at(table, (a_codes, b_codes), 1)
    return cramers_v(table)


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table (every row and column non-empty), as scipy.stats.contingency.association
    with method="cramer" and no continuity correction computes it: sqrt(chi² / (n (min(r, c) - 1))).

    Written out because scipy's version costs ~3 ms a call; a test checks it against scipy.
    """
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def _sample_rows(n: int, seed: int) -> np.ndarray:
    """Row indices for contingency tables: all rows, or a seeded sample of MAX_CONTINGENCY_ROWS."""
    if n <= MAX_CONTINGENCY_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=MAX_CONTINGENCY_ROWS, replace=False))


def _pair_results(prepared: dict[str, _PreparedColumn], seed: int = 0) -> list[dict]:
    """Every column pair (in column order; a seeded sample of MAX_PAIRS of them for wide tables) as
    {"columns", "metric", "score", "real", "counted"}."""
    names = list(prepared)
    if not names:
        return []
    first_column = prepared[names[0]]
    rows = (_sample_rows(len(first_column.real_codes), seed), _sample_rows(len(first_column.synthetic_codes), seed))
    results = []
    for i, j in _pair_indices(len(names), seed):
        a, b = prepared[names[i]], prepared[names[j]]
        pair = _correlation_pair(a, b) if a.numeric and b.numeric else _contingency_pair(a, b, rows)
        results.append({"columns": [names[i], names[j]], **pair})
    return results


def _pair_indices(n_columns: int, seed: int) -> list[tuple[int, int]]:
    """(i, j) with i < j for every pair, or for a seeded sample of MAX_PAIRS pairs, in column order."""
    n_pairs = n_columns * (n_columns - 1) // 2
    if n_pairs <= MAX_PAIRS:
        return [(i, j) for i in range(n_columns) for j in range(i + 1, n_columns)]
    picks = np.sort(np.random.default_rng(seed).choice(n_pairs, size=MAX_PAIRS, replace=False))
    # Pair number k counts row by row through the upper triangle: row i holds pairs (i, i+1) .. (i, n-1).
    row_starts = np.cumsum([0] + [n_columns - 1 - i for i in range(n_columns - 1)])
    rows = np.searchsorted(row_starts, picks, side="right") - 1
    return [(int(i), int(i + 1 + k - row_starts[i])) for i, k in zip(rows, picks, strict=True)]


def _column_score(column: _PreparedColumn) -> float | None:
    """Column-shape score of one prepared column (None when undefined)."""
    if column.numeric:
        return _ks_complement(column.real_values, column.synthetic_values)
    return _tv_complement(column)


def _mean(scores: list[float | None]) -> float | None:
    present = [score for score in scores if score is not None]
    return float(np.mean(present)) if present else None


def column_shapes(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None
) -> dict[str, float | None]:
    """Column -> shape score in [0, 1] (KSComplement or TVComplement), None where undefined."""
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    return {name: _column_score(column) for name, column in _prepare_columns(real, synthetic, kinds).items()}


def pair_trends(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None
) -> dict[tuple[str, str], float | None]:
    """(column a, column b) -> trend score in [0, 1] (correlation or contingency similarity), None where undefined.

    Every pair is scored; see `quality_score` for which pairs count towards the average.
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    pairs = _pair_results(_prepare_columns(real, synthetic, kinds))
    return {(pair["columns"][0], pair["columns"][1]): pair["score"] for pair in pairs}


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict:
    """Overall fidelity with its breakdown, as SDMetrics' QualityReport computes it.

    Returns ``{"quality", "column_shapes", "pair_trends", "columns": {column: score or None}, "pairs":
    [{"columns": [a, b], "metric", "score", "real", "counted"}], "pairs_total", "pairs_scored"}``; ``real`` is the
    real data's correlation or Cramér's V, ``counted`` whether the pair enters ``pair_trends`` (None when no pair
    does). ``pairs_scored`` is below ``pairs_total`` when a wide table's pairs were sampled (see MAX_PAIRS).
    """
    real, synthetic, kinds = resolve(real, synthetic, kinds)
    prepared = _prepare_columns(real, synthetic, kinds)
    columns = {name: _column_score(column) for name, column in prepared.items()}
    pairs = _pair_results(prepared)
    shapes = _mean(list(columns.values()))
    trends = _mean([pair["score"] for pair in pairs if pair["counted"]])
    quality = _mean([shapes, trends])
    return {
        "quality": quality,
        "column_shapes": shapes,
        "pair_trends": trends,
        "columns": columns,
        "pairs": pairs,
        "pairs_total": len(columns) * (len(columns) - 1) // 2,
        "pairs_scored": len(pairs),
    }
