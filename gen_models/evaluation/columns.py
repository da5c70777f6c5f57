"""Column kinds and value conversion shared by every metric.

Every metric takes a ``real`` and a ``synthetic`` DataFrame with the same columns (in any order) and an
optional ``kinds`` mapping column -> ``"continuous" | "integer" | "datetime" | "categorical"`` (a
`TableSchema.kinds()` gives it for a trained model's data). Columns missing from ``kinds`` are inferred
from the real data by :func:`infer_kinds`. Datetimes are compared as numbers (nanoseconds since the
epoch); ``±inf`` counts as missing.

Why a second kind rule beside `gen_models.data.infer_schema`: the schema decides how a model should
*learn* a column (and may leave one out, e.g. an identifier, a row number); here the question is only how
to *compare* two columns of a table that may have no schema, so every column is scored, by a short rule
on its dtype: numbers with few distinct values are compared as categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gen_models.data.errors import DataError
from gen_models.data.schema import NUMERIC_KINDS, ColumnKind
from gen_models.data.values import datetime_numbers, numbers

# The kinds a metric compares: every column kind except "ignore" (ignored columns are not scored).
KINDS: tuple[ColumnKind, ...] = (*NUMERIC_KINDS, "categorical")
# A numeric column with this many distinct values or fewer is treated as categorical.
MAX_CATEGORICAL_DISTINCT = 10
# Stands in for a missing category when rows are hashed (None would hash like the string "None").
MISSING_LABEL = "\x00<missing>"

__all__ = [
    "KINDS",
    "MAX_CATEGORICAL_DISTINCT",
    "MISSING_LABEL",
    "NUMERIC_KINDS",
    "category_labels",
    "check_same_columns",
    "infer_kind",
    "infer_kinds",
    "numeric_values",
    "resolve",
]


def infer_kinds(df: pd.DataFrame) -> dict[str, ColumnKind]:
    """Guess each column's kind from its dtype and number of distinct values.

    bool/object/string/category -> categorical; datetime64 -> datetime;
    numeric with <= 10 distinct values -> categorical; other integers ->
    integer; other numbers -> continuous; anything else -> categorical.
    """
    return {column: infer_kind(df[column]) for column in df.columns}


def infer_kind(series: pd.Series) -> ColumnKind:
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


def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """(n,) float64 values of a numeric or datetime column, NaN where missing or infinite.

    Datetimes count nanoseconds (pandas' own resolution), not the encoder's microsecond steps: a metric
    only compares values with each other, and reading text dates here needs no schema.
    """
    if kind == "datetime" or ptypes.is_datetime64_any_dtype(series):
        return datetime_numbers(pd.to_datetime(series, errors="coerce"), "ns")
    values = numbers(series)
    values[~np.isfinite(values)] = np.nan  # an infinite number says nothing about a distribution
    return values


def category_labels(series: pd.Series) -> np.ndarray:
    """Object array of string labels, None where missing.

    Categories are compared as strings so that 1, 1.0 and "1" or True and
    "True" from differently typed real and synthetic columns still match;
    floats that are whole numbers are written without the ".0" for that reason.
    (The encoders match a typed-in level with `data.encoders.level_key` instead, which is
    looser, e.g. "true" and " 3.0" match there: right for a user's input, not for scoring.)
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


def resolve(
    real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, ColumnKind]]:
    """Check the two tables match, put synthetic columns in real order, complete the kinds."""
    check_same_columns(real, synthetic, "synthetic")
    if len(real.columns) == 0:
        raise DataError("The tables have no columns to score.")
    if len(real) == 0 or len(synthetic) == 0:
        raise DataError(
            f"Scoring needs rows in both tables (real has {len(real)}, synthetic has {len(synthetic)}): "
            "a file with only a header has none."
        )
    full_kinds = {}
    for column in real.columns:
        kind = (kinds or {}).get(column) or infer_kind(real[column])
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} for column {column!r}; expected one of {KINDS}")
        full_kinds[column] = kind
    return real, synthetic[list(real.columns)], full_kinds


def check_same_columns(real: pd.DataFrame, other: pd.DataFrame, name: str) -> None:
    """Raise ValueError naming the columns ``other`` lacks or has in excess of ``real``."""
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        raise DataError(f"The {name} data's columns differ from the real data: missing {missing}, extra {extra}.")
