"""Quantile tokens: each column of a table as a token and a position inside it, for autoregressive models.

The encoded row holds two numbers per used column j (table order): x[:, 2j] is a token, an integer index
stored as a float, and x[:, 2j + 1] a position in [0, 1) inside that token; shape (n, 2 * n_columns) float32.

- A categorical column: one token per level (in the levels' sorted order), "empty" last if the column had
  empty cells; the position is 0.5 and carries nothing.
- A numeric column (continuous, integer, datetime): its values are cut into bins, ordered by value,
  "empty" last. With up to `n_bins` different values every value is a bin of its own (a point mass), so a
  column of integers or of a few round numbers comes back exactly. Otherwise a value taking at least one
  bin's share of the rows (a spike at 0, say) gets a point-mass bin and the other values are cut at their
  quantiles into about `n_bins` bins of equal counts; the position says where in its bin a value lies.
  `n_bins` is `max_bins`, or fewer for small tables (about `rows_per_bin` values a bin).

Numbers keep the precision seen in the data: a column whose values all have at most d decimals (d <= 8)
lives on the grid of multiples of 10^-d (integers and datetimes on whole numbers), a bin is a run of
grid values and the position picks one of them, so decoding gives those exact values back. A column with
more digits than that is continuous: a bin is an interval [low, high) (the last one closed) and the
position a linear place in it. Datetimes are numbers of steps since 1970, as in `tabular`, whose
conversion, level and dtype helpers this module shares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.base import Span, one_hot_rows
from gen_models.data.encoders.tabular import (
    CategoricalColumn,
    category_codes,
    check_finite,
    decode_categorical,
    fit_categorical,
    fitted_numbers,
    get_column,
    restore_numeric,
)
from gen_models.data.errors import DataError
from gen_models.data.schema import ColumnSpec, TableSchema, parse_datetimes
from gen_models.data.values import column_numbers, datetime_numbers, datetime_step

# Columns with more decimals than this are treated as continuous (no grid).
MAX_DECIMALS = 8
# A grid needs every scaled value well inside float64's exact integers.
MAX_GRID_VALUE = 2.0**50
# The largest position stored: positions live in [0, 1), and float32 rounds 1 - 1e-8 up to 1.
MAX_POSITION = float(np.nextafter(np.float32(1.0), np.float32(0.0)))


@dataclass
class BinnedColumn:
    """A numeric column's bins (JSON-friendly). `lows`/`highs` are in grid units when `decimals` is set.

    On a grid, bin i holds the grid values lows[i] .. highs[i] (both included; a point when equal), in
    units of 10^-decimals. Without a grid, bin i is the interval [lows[i], highs[i]) in the column's
    units (the last bin includes its high), or the point lows[i] when lows[i] == highs[i]. Only bins
    holding some training value are kept, so there may be gaps between bins.
    """

    name: str
    kind: str
    dtype: str
    decimals: int | None
    single: bool  # float32 numbers: given back as float32 values (see _precision)
    lows: list[float]
    highs: list[float]
    counts: list[int]  # training values in each bin
    missing_count: int  # empty training cells
    step_us: int = 1  # datetimes only: microseconds per unit (see tabular)
    datetime_format: str | None = None

    @property
    def has_missing(self) -> bool:
        return self.missing_count > 0

    @property
    def n_tokens(self) -> int:
        return len(self.lows) + int(self.has_missing)


class QuantileEncoder:
    """A table <-> (n, 2 * n_columns) float32 tokens and positions (see the module docstring).

    Hyperparameters go to the constructor, data to `fit(df)`.
    """

    kind = "table"
    condition_in_rows = True  # the condition column is one of the encoded columns

    def __init__(self, schema: TableSchema, max_bins: int = 100, rows_per_bin: int = 10):
        if max_bins < 2:
            raise ValueError("max_bins must be at least 2")
        if rows_per_bin < 1:
            raise ValueError("rows_per_bin must be at least 1")
        self.schema = schema
        self.max_bins = max_bins
        self.rows_per_bin = rows_per_bin
        self._columns: list[BinnedColumn | CategoricalColumn] | None = None

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> QuantileEncoder:
        """Learn the levels of categorical columns and the bins of numeric ones."""
        columns: list[BinnedColumn | CategoricalColumn] = []
        for name in self.schema.used_columns:
            series = get_column(df, name)
            spec = self.schema.column(name)
            columns.append(
                fit_categorical(series, spec) if spec.kind == "categorical" else self._fit_binned(series, spec)
            )
        self._columns = columns
        return self

    def _fit_binned(self, series: pd.Series, spec: ColumnSpec) -> BinnedColumn:
        step_us = datetime_step(datetime_numbers(parse_datetimes(series, spec), "us")) if spec.kind == "datetime" else 1
        x = column_numbers(series, spec, step_us)
        check_finite(x, spec.name)
        present = x[~np.isnan(x)]
        if len(present) == 0:
            raise DataError(f"Column '{spec.name}' has no values: every cell is empty.", column=spec.name)
        n_bins = int(np.clip(len(present) // self.rows_per_bin, 2, self.max_bins))
        decimals, single = _precision(present)
        if spec.kind in ("integer", "datetime"):
            decimals, single = 0, False
        lows, highs, counts = fit_bins(present, n_bins, decimals)
        return BinnedColumn(
            name=spec.name,
            kind=spec.kind,
            dtype=spec.dtype,
            decimals=decimals,
            single=single,
            lows=[float(v) for v in lows],
            highs=[float(v) for v in highs],
            counts=[int(v) for v in counts],
            missing_count=int(len(x) - len(present)),
            step_us=int(step_us),
            datetime_format=spec.datetime_format,
        )

    # --- description -----------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """Used columns, in table order: column j is encoded at x[:, 2j] (token) and x[:, 2j + 1] (position)."""
        return list(self.schema.used_columns)

    @property
    def output_dim(self) -> int:
        return 2 * len(self.columns)

    @property
    def spans(self) -> list[Span]:
        """Per column a "token" span (an index, not an activation) and a "position" span, each of width 1."""
        spans = []
        for j, name in enumerate(self.columns):
            spans += [Span(name, "token", 2 * j, 1, "token"), Span(name, "position", 2 * j + 1, 1, "position")]
        return spans

    @property
    def token_counts(self) -> list[int]:
        """Number of tokens of each column, in `columns` order (levels or bins, plus "empty" where there was one)."""
        return [_n_tokens(col) for col in self._fitted()]

    def bin_counts(self, column: str) -> tuple[list[int], int]:
        """How many training cells of a numeric column fell in each of its bins, and how many were empty."""
        col = self._column(column)
        if isinstance(col, CategoricalColumn):
            raise DataError(f"Column '{column}' is categorical: its tokens are levels, not bins.", column=column)
        return list(col.counts), col.missing_count

    def is_categorical(self, column: str) -> bool:
        return isinstance(self._column(column), CategoricalColumn)

    def levels(self, column: str) -> list:
        """Levels of a categorical column in token order; None last if the column had empty cells."""
        col = self._categorical(column)
        return list(col.levels) + ([None] if col.has_missing else [])

    def one_hot(self, column: str, values: list) -> np.ndarray:
        """(len(values), n_levels) float32 one-hot rows of a categorical column's values (see one_hot_rows)."""
        return one_hot_rows(self.levels(column), values, column)

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """(n_rows, n_levels) one-hot values of a categorical column, in token order."""
        tokens = category_codes(get_column(df, column), self._categorical(column))
        return np.eye(len(self.levels(column)), dtype=np.float32)[tokens]

    # --- encoding --------------------------------------------------------------------------

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n_rows, 2 * n_columns) float32: each used column's token and position; deterministic."""
        columns = self._fitted()
        out = np.zeros((len(df), self.output_dim), dtype=np.float32)
        for j, col in enumerate(columns):
            tokens, positions = self._encode_series(get_column(df, col.name), col)
            out[:, 2 * j] = tokens
            out[:, 2 * j + 1] = positions
        return out

    def encode_values(self, column: str, values: list) -> tuple[np.ndarray, np.ndarray]:
        """(n,) tokens and (n,) positions of values of one column, as given by a person or a command line.

        Values may be written as text ("2007" for 2007, "True" for True, "2020-01-31" for a date); None or ""
        is "empty". Raises DataError for a value the column cannot hold.
        """
        col = self._column(column)
        values = [None if isinstance(value, str) and not value.strip() else value for value in values]
        if isinstance(col, CategoricalColumn):
            tokens = self.one_hot(column, values).argmax(axis=1)
            return tokens, np.full(len(values), 0.5)
        series = pd.Series(values, dtype=object)
        x = column_numbers(series, self.schema.column(column), col.step_us)
        unread = np.isnan(x) & series.notna().to_numpy()
        if unread.any():
            what = "a date" if col.kind == "datetime" else "a number"
            bad = series[unread].iloc[0]
            raise DataError(f"'{bad}' is not {what}, so it cannot be a value of '{column}'.", column=column)
        return self._encode_series(series, col)

    def _encode_series(self, series: pd.Series, col: BinnedColumn | CategoricalColumn) -> tuple:
        if isinstance(col, CategoricalColumn):
            return category_codes(series, col), np.full(len(series), 0.5)
        x = fitted_numbers(series, self.schema.column(col.name), col.step_us, col.has_missing)
        missing = np.isnan(x)
        tokens, positions = bin_of(np.where(missing, col.lows[0], x), col)
        tokens[missing] = len(col.lows)
        positions[missing] = 0.5
        return tokens, positions

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame:
        """(n, 2 * n_columns) tokens and positions -> a table of the used columns with their original dtypes.

        Tokens are rounded and clipped to each column's range, positions clipped to [0, 1). `clip` and
        `condition` are accepted for symmetry with the other encoders and not needed: values always come
        back inside their bins, and the condition column is part of x.
        """
        columns = self._fitted()
        if hasattr(x, "detach"):  # a torch tensor; checked by duck typing so this module needs no torch
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.output_dim:
            raise ValueError(f"expected an array of shape (n, {self.output_dim}), got {x.shape}")
        data = {}
        for j, col in enumerate(columns):
            tokens = np.clip(np.round(x[:, 2 * j]), 0, _n_tokens(col) - 1).astype(np.int64)
            positions = np.clip(x[:, 2 * j + 1], 0.0, MAX_POSITION)
            if isinstance(col, CategoricalColumn):
                width = _n_tokens(col)
                one_hot = np.eye(width)[tokens]
                data[col.name] = decode_categorical(one_hot, Span(col.name, "category", 0, width, "softmax"), col)
            else:
                data[col.name] = restore_numeric(_value_of(tokens, positions, col), col)
        return pd.DataFrame(data)

    # --- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Everything needed to transform and inverse_transform, as plain JSON types."""
        columns = []
        for col in self._fitted():
            kind = "categorical" if isinstance(col, CategoricalColumn) else "binned"
            columns.append({"type": kind, **asdict(col)})
        return {
            "kind": self.kind,
            "encoding": "quantile",
            "max_bins": self.max_bins,
            "rows_per_bin": self.rows_per_bin,
            "schema": self.schema.to_dict(),
            "columns": columns,
        }

    @classmethod
    def from_dict(cls, d: dict) -> QuantileEncoder:
        encoder = cls(TableSchema.from_dict(d["schema"]), int(d["max_bins"]), int(d["rows_per_bin"]))
        columns: list[BinnedColumn | CategoricalColumn] = []
        for entry in d["columns"]:
            fields = {k: v for k, v in entry.items() if k != "type"}
            columns.append(CategoricalColumn(**fields) if entry["type"] == "categorical" else BinnedColumn(**fields))
        if [col.name for col in columns] != encoder.columns:
            raise ValueError("the encoder's columns do not match its schema's used columns")
        encoder._columns = columns
        return encoder

    # --- helpers ---------------------------------------------------------------------------

    def _fitted(self) -> list[BinnedColumn | CategoricalColumn]:
        if self._columns is None:
            raise RuntimeError("the encoder is not fitted yet: call fit(df) first")
        return self._columns

    def _column(self, column: str) -> BinnedColumn | CategoricalColumn:
        for col in self._fitted():
            if col.name == column:
                return col
        raise DataError(f"There is no column '{column}'. The columns are: {', '.join(self.columns)}.", column=column)

    def _categorical(self, column: str) -> CategoricalColumn:
        col = self._column(column)
        if not isinstance(col, CategoricalColumn):
            raise DataError(f"Column '{column}' is not a categorical column.", column=column)
        return col


def _n_tokens(col: BinnedColumn | CategoricalColumn) -> int:
    return len(col.levels) + int(col.has_missing) if isinstance(col, CategoricalColumn) else col.n_tokens


# --- bins --------------------------------------------------------------------------------------


def _precision(values: np.ndarray) -> tuple[int | None, bool]:
    """(decimals, single) of (n,) present numbers: the fewest decimals (0..MAX_DECIMALS) that write every
    value exactly (None if none does), and whether the values are float32 numbers (data read as float32,
    where 2.04 is stored as 2.0399999618...; they are compared, and given back, at float32 precision).
    """
    single = bool(np.all(values.astype(np.float32).astype(np.float64) == values))
    for decimals in range(MAX_DECIMALS + 1):
        scaled = values * 10.0**decimals
        if np.abs(scaled).max() >= MAX_GRID_VALUE:
            return None, single
        if single:
            fits = np.all((np.round(scaled) / 10.0**decimals).astype(np.float32) == values.astype(np.float32))
        else:
            fits = np.all(np.abs(scaled - np.round(scaled)) <= 1e-6)
        if fits:
            return decimals, single
    return None, single


def _split_values(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values that are point masses, quantile cut points of the rest) for (n,) values.

    With at most `n_bins` distinct values every one is a point mass. Otherwise a value holding at least a
    bin's share of the rows is one, and the others are cut at quantiles 0, 1/k, ..., (k-1)/k, where k is
    what is left of `n_bins`; cut points are data values, and repeated ones collapse.
    """
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= n_bins:
        return distinct, np.array([], dtype=values.dtype)
    spikes = distinct[counts >= len(values) / n_bins]
    rest = values[~np.isin(values, spikes)]
    k = max(1, n_bins - len(spikes))
    cuts = np.unique(np.quantile(rest, np.arange(k) / k, method="inverted_cdf"))
    return spikes, cuts


def _candidate_bins(values: np.ndarray, n_bins: int, grid: bool) -> tuple[np.ndarray, np.ndarray]:
    """Bins (lows, highs) covering [min, max] of (n,) values, in value order; some may hold no value.

    On a grid (whole numbers) a bin is lows..highs, both included; a point mass is a bin [s, s]. Without
    one, a bin is [low, high) (the last one closed), and a point mass s is the bin (s, s) just before the
    interval starting at s.
    """
    spikes, cuts = _split_values(values, n_bins)
    top = values.max()
    if grid:
        starts = np.unique(np.concatenate([[values.min()], cuts, spikes, spikes[spikes < top] + 1]))
        return starts, np.append(starts[1:] - 1, top)
    starts = np.unique(np.concatenate([[values.min()], cuts, spikes]))
    ends = np.append(starts[1:], top)
    lows, highs = [], []
    for start, end in zip(starts, ends, strict=True):
        if start in spikes:
            lows.append(start)
            highs.append(start)
        if end > start:
            lows.append(start)
            highs.append(end)
    return np.array(lows), np.array(highs)


def fit_bins(values: np.ndarray, n_bins: int, decimals: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bins of (n,) present numbers that hold at least one of them: (lows, highs, counts) (see BinnedColumn)."""
    if decimals is not None:
        values = np.round(values * 10.0**decimals)
    lows, highs = _candidate_bins(values, n_bins, grid=decimals is not None)
    tokens, _ = _locate(values, lows, highs, grid=decimals is not None)
    counts = np.bincount(tokens, minlength=len(lows))
    used = counts > 0
    return lows[used], highs[used], counts[used]


def _locate(x: np.ndarray, lows: np.ndarray, highs: np.ndarray, grid: bool) -> tuple[np.ndarray, np.ndarray]:
    """(n,) bins and (n,) positions in [0, 1) of (n,) numbers (grid units on a grid); see BinnedColumn.

    A number between two bins or outside all of them goes to the nearest bin, at its nearest end.
    """
    point = lows == highs
    candidates = np.arange(len(lows)) if grid else np.flatnonzero(~point)
    if len(candidates) == 0:  # only point masses, and no grid
        candidates = np.arange(len(lows))
    c_lows, c_highs = lows[candidates], highs[candidates]
    index = np.clip(np.searchsorted(c_lows, x, side="right") - 1, 0, len(candidates) - 1)
    beyond = x > c_highs[index] if grid else x >= c_highs[index]
    after = np.minimum(index + 1, len(candidates) - 1)
    closer = beyond & (c_lows[after] - x < x - c_highs[index])
    tokens = candidates[np.where(closer, after, index)]
    low, high = lows[tokens], highs[tokens]
    if grid:
        x = np.clip(x, low, high)
        positions = (x - low + 0.5) / (high - low + 1)  # the middle of its cell
        return tokens, positions
    with np.errstate(divide="ignore", invalid="ignore"):
        positions = np.where(high > low, (x - low) / (high - low), 0.5)
    positions = np.clip(positions, 0.0, MAX_POSITION)
    points = np.flatnonzero(point)
    if len(points) and not np.array_equal(points, candidates):
        at = np.clip(np.searchsorted(lows[points], x), 0, len(points) - 1)
        is_point = lows[points][at] == x
        tokens = np.where(is_point, points[at], tokens)
        positions = np.where(is_point, 0.5, positions)
    return tokens, positions


def bin_of(x: np.ndarray, col: BinnedColumn) -> tuple[np.ndarray, np.ndarray]:
    """(n,) tokens and (n,) positions of (n,) present numbers of a fitted column."""
    if col.decimals is not None:
        x = np.round(x * 10.0**col.decimals)
    return _locate(x, np.array(col.lows), np.array(col.highs), grid=col.decimals is not None)


def _value_of(tokens: np.ndarray, positions: np.ndarray, col: BinnedColumn) -> np.ndarray:
    """(n,) numbers (NaN for "empty") from (n,) tokens and (n,) positions in [0, 1)."""
    missing = tokens >= len(col.lows)
    index = np.where(missing, 0, tokens)
    lows, highs = np.array(col.lows)[index], np.array(col.highs)[index]
    if col.decimals is not None:
        cells = highs - lows + 1
        grid = lows + np.minimum(np.floor(positions * cells), cells - 1)
        # Dividing by an exact power of ten gives the same float as reading the decimal text.
        numbers = grid / 10.0**col.decimals
        if col.single:
            numbers = numbers.astype(np.float32).astype(np.float64)
    else:
        numbers = lows + positions * (highs - lows)
    numbers[missing] = np.nan
    return numbers
