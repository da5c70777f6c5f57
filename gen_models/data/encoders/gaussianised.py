"""Gaussianised cells: a table <-> one continuous, roughly standard-normal number per dimension, for flows.

A normalizing flow needs an exact, invertible map from rows to real vectors. Every encoded dimension j is cut
into *cells*: the real line is split at `knots[j]` (strictly increasing, finite), and cell k holds the
encoded values in [knots[j][k], knots[j][k + 1]]. The knots are Phi^-1 of the cumulative share of training
cells that lie below, so a value drawn uniformly inside its cell is, over the training rows, standard normal.

- A categorical column is one dimension with a cell per level (sorted levels, "empty" last if the column had
  empty cells), each cell as wide as its level's share of the rows (dequantisation: the level is the cell).
  A row encodes to its cell's middle; any value inside the cell decodes to that level.
- A numeric column (continuous, integer, datetime) is one "value" dimension: a monotone piecewise-linear map
  from the number x to y, through `points[j]` (x) and `knots[j]` (y), extended straight beyond both ends. Its
  cells are the intervals around its distinct values (midway between neighbours; at most `max_cells`
  representative values on large columns), so the same uniform-in-the-cell draw dequantises repeated values.
  Decoding reads the map backwards and rounds to the data's decimals (integers and datetimes to whole steps).
- A numeric column with empty cells adds a "missing" dimension after its value, a two-cell category
  [present, empty]; an empty row's value dimension holds 0 (the model may fill it with noise while training).

Encoding is deterministic and exact: `inverse_transform(transform(df))` gives back `df` (float64 is needed
for that; `transform_exact` gives it, `transform` rounds to float32 for training). `log_jacobian` gives each
row's log |dy/dx| summed over its present numeric values, what a flow needs for a density in the data's units.
Datetimes are numbers of steps since 1970, read and written with `tabular`'s helpers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from gen_models.data.encoders.base import Span, one_hot_rows
from gen_models.data.encoders.tabular import (
    CategoricalColumn,
    category_codes,
    check_finite,
    decimal_places,
    decode_categorical,
    fit_categorical,
    fitted_numbers,
    get_column,
    restore_numeric,
)
from gen_models.data.errors import DataError
from gen_models.data.schema import ColumnSpec, TableSchema, parse_datetimes
from gen_models.data.values import column_numbers, datetime_numbers, datetime_step

# Continuous columns whose values have more decimals than this come back rounded to 1e-12 of their size.
MAX_DECIMALS = 8


@dataclass
class _CellColumn:
    """What the encoder learned about one column (JSON-friendly); see the module docstring.

    Categorical: `levels` (without "empty"), `knots` the level cells. Numeric: `points` and `knots` the
    piecewise-linear map x -> y of the value dimension, `missing_knots` the [present, empty] cells (or empty).
    """

    name: str
    kind: str  # "categorical" | "continuous" | "integer" | "datetime"
    dtype: str
    knots: list[float]
    has_missing: bool
    levels: list[Any] = field(default_factory=list)
    points: list[float] = field(default_factory=list)
    missing_knots: list[float] = field(default_factory=list)
    minimum: float = 0.0
    maximum: float = 0.0
    decimals: int | None = None  # decimals numbers come back with (0 for integers and datetimes)
    step_us: int = 1  # datetimes only: microseconds per unit
    datetime_format: str | None = None

    @property
    def width(self) -> int:
        """Encoded dimensions of this column: 1, or 2 for a numeric column with empty cells."""
        return 2 if self.kind != "categorical" and self.has_missing else 1


class GaussianisedEncoder:
    """A table <-> (n, output_dim) Gaussianised cells (see the module docstring). Data goes to `fit(df)`."""

    kind = "table"
    condition_in_rows = True

    def __init__(self, schema: TableSchema, max_cells: int = 500):
        if max_cells < 2:
            raise ValueError("max_cells must be at least 2")
        self.schema = schema
        self.max_cells = max_cells
        self._columns: list[_CellColumn] | None = None

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> GaussianisedEncoder:
        """Learn each used column's cells (levels and their shares, or the numeric map)."""
        columns = []
        for name in self.schema.used_columns:
            series = get_column(df, name)
            spec = self.schema.column(name)
            columns.append(
                self._fit_categorical(series, spec) if spec.kind == "categorical" else self._fit_numeric(series, spec)
            )
        self._columns = columns
        return self

    def _fit_categorical(self, series: pd.Series, spec: ColumnSpec) -> _CellColumn:
        col = fit_categorical(series, spec)
        counts = np.bincount(category_codes(series, col), minlength=len(col.levels) + int(col.has_missing))
        return _CellColumn(
            name=col.name,
            kind="categorical",
            dtype=col.dtype,
            knots=_knots(counts).tolist(),
            has_missing=col.has_missing,
            levels=col.levels,
        )

    def _fit_numeric(self, series: pd.Series, spec: ColumnSpec) -> _CellColumn:
        step_us = datetime_step(datetime_numbers(parse_datetimes(series, spec), "us")) if spec.kind == "datetime" else 1
        x = column_numbers(series, spec, step_us)
        check_finite(x, spec.name)
        present = x[~np.isnan(x)]
        if len(present) == 0:
            raise DataError(f"Column '{spec.name}' has no values: every cell is empty.", column=spec.name)
        decimals: int | None = 0  # integers and datetime steps come back whole
        if spec.kind == "continuous":
            # The data's own decimals. Numbers with more than MAX_DECIMALS are rounded to 1e-12 of the column's
            # largest size instead: float error in the map then vanishes (a 0 comes back as 0, not 6e-16).
            decimals = decimal_places(present, spec.dtype, most=MAX_DECIMALS + 1)
            if decimals > MAX_DECIMALS:
                largest = float(np.abs(present).max())
                decimals = int(np.clip(12 - np.floor(np.log10(largest)), 0, 15)) if largest > 0 else 0
        # A constant column's one cell stays inside its rounding (or a millionth of its size).
        half_step = 0.25 * 10.0**-decimals
        cuts = _cuts(present, self.max_cells, half_step)
        counts = np.bincount(np.clip(np.searchsorted(cuts, present, side="right") - 1, 0, len(cuts) - 2))
        counts = np.pad(counts, (0, len(cuts) - 1 - len(counts)))
        missing = int(len(x) - len(present))
        return _CellColumn(
            name=spec.name,
            kind=spec.kind,
            dtype=spec.dtype,
            knots=_knots(counts).tolist(),
            has_missing=missing > 0,
            points=cuts.tolist(),
            missing_knots=_knots(np.array([len(present), missing])).tolist() if missing else [],
            minimum=float(present.min()),
            maximum=float(present.max()),
            decimals=decimals,
            step_us=int(step_us),
            datetime_format=spec.datetime_format,
        )

    # --- description -----------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        return list(self.schema.used_columns)

    @property
    def output_dim(self) -> int:
        return sum(col.width for col in self._fitted())

    @property
    def spans(self) -> list[Span]:
        """One span of width 1 per dimension: "category", "value" or "missing" (activation "cells": any real)."""
        spans, start = [], 0
        for col in self._fitted():
            roles = ["category"] if col.kind == "categorical" else ["value"] + (["missing"] if col.has_missing else [])
            for role in roles:
                spans.append(Span(col.name, role, start, 1, "cells"))
                start += 1
        return spans

    @property
    def cells(self) -> list[np.ndarray]:
        """Per dimension, its knots (k + 1,) float64: cell i is [knots[i], knots[i + 1]]."""
        found = []
        for col in self._fitted():
            found.append(np.array(col.knots))
            if col.kind != "categorical" and col.has_missing:
                found.append(np.array(col.missing_knots))
        return found

    @property
    def missing_pairs(self) -> list[tuple[int, int]]:
        """(value dimension, missing dimension) of each numeric column with empty cells."""
        pairs = [(span.start - 1, span.start) for span in self.spans if span.role == "missing"]
        return pairs

    def levels(self, column: str) -> list:
        col = self._categorical(column)
        return list(col.levels) + ([None] if col.has_missing else [])

    def one_hot(self, column: str, values: list) -> np.ndarray:
        return one_hot_rows(self.levels(column), values, column)

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray:
        codes = category_codes(get_column(df, column), self._as_categorical(self._categorical(column)))
        return np.eye(len(self.levels(column)), dtype=np.float32)[codes]

    # --- encoding --------------------------------------------------------------------------

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n_rows, output_dim) float32 encoded rows (deterministic)."""
        return self.transform_exact(df).astype(np.float32)

    def transform_exact(self, df: pd.DataFrame) -> np.ndarray:
        """(n_rows, output_dim) float64 encoded rows: what an exact round trip needs."""
        blocks = []
        for col in self._fitted():
            series = get_column(df, col.name)
            if col.kind == "categorical":
                blocks.append(_cell_middles(np.array(col.knots), category_codes(series, self._as_categorical(col))))
                continue
            x = self._numbers(series, col)
            missing = np.isnan(x)
            blocks.append(np.where(missing, 0.0, _forward(np.where(missing, col.minimum, x), col)))
            if col.has_missing:
                blocks.append(_cell_middles(np.array(col.missing_knots), missing.astype(np.int64)))
        return np.stack(blocks, axis=1) if blocks else np.zeros((len(df), 0))

    def log_jacobian(self, df: pd.DataFrame) -> np.ndarray:
        """(n_rows,) sum over present numeric values of log dy/dx (x in the column's units, steps for datetimes)."""
        total = np.zeros(len(df))
        for col in self._fitted():
            if col.kind == "categorical":
                continue
            x = self._numbers(get_column(df, col.name), col)
            present = ~np.isnan(x)
            total[present] += np.log(_slopes(x[present], col))
        return total

    def log_cell_widths(self, x: np.ndarray) -> np.ndarray:
        """(n, output_dim) encoded rows -> (n,) sum of log cell widths over the category and missing dimensions:
        with a density at a cell's middle, the probability of its level (or of being empty)."""
        total = np.zeros(len(x))
        for span, knots in zip(self.spans, self.cells, strict=True):
            if span.role in ("category", "missing"):
                total += np.log(np.diff(knots)[_cell_of(x[:, span.start], knots)])
        return total

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame:
        """(n, output_dim) encoded rows -> a table of the used columns with their original dtypes.

        Any real number decodes: categories and "empty" by the cell it falls in (beyond the ends, the end
        cells), numbers by the map read backwards and rounded to the data's precision; with `clip` they are
        kept within the training range. `condition` is accepted for symmetry and unused (this encoder takes none).
        """
        if hasattr(x, "detach"):  # a torch tensor; duck typing keeps torch out of this module
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.output_dim:
            raise ValueError(f"expected an array of shape (n, {self.output_dim}), got {x.shape}")
        data, j = {}, 0
        for col in self._fitted():
            if col.kind == "categorical":
                index = _cell_of(x[:, j], np.array(col.knots))
                width = len(col.knots) - 1
                span = Span(col.name, "category", 0, width, "softmax")
                data[col.name] = decode_categorical(np.eye(width)[index], span, self._as_categorical(col))
                j += 1
                continue
            numbers = _backward(x[:, j], col)
            if col.decimals is not None:
                numbers = np.round(numbers, col.decimals)
            if clip:
                numbers = np.clip(numbers, col.minimum, col.maximum)
            if col.has_missing:
                numbers[_cell_of(x[:, j + 1], np.array(col.missing_knots)) == 1] = np.nan
            data[col.name] = restore_numeric(numbers, col)  # type: ignore[arg-type]  # same fields it reads
            j += col.width
        return pd.DataFrame(data)

    # --- persistence -----------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "encoding": "gaussianised",
            "max_cells": self.max_cells,
            "schema": self.schema.to_dict(),
            "columns": [asdict(col) for col in self._fitted()],
        }

    @classmethod
    def from_dict(cls, d: dict) -> GaussianisedEncoder:
        encoder = cls(TableSchema.from_dict(d["schema"]), int(d["max_cells"]))
        columns = [_CellColumn(**entry) for entry in d["columns"]]
        if [col.name for col in columns] != encoder.columns:
            raise ValueError("the encoder's columns do not match its schema's used columns")
        for col in columns:
            for knots in (col.knots, col.points, col.missing_knots):
                if knots and not (np.all(np.isfinite(knots)) and np.all(np.diff(knots) > 0)):
                    raise ValueError(f"the cells of column '{col.name}' are not finite and increasing")
            if col.kind != "categorical" and len(col.points) != len(col.knots):
                raise ValueError(f"column '{col.name}' has {len(col.points)} points for {len(col.knots)} knots")
        encoder._columns = columns
        return encoder

    # --- helpers ---------------------------------------------------------------------------

    def _fitted(self) -> list[_CellColumn]:
        if self._columns is None:
            raise RuntimeError("the encoder is not fitted yet: call fit(df) first")
        return self._columns

    def _categorical(self, column: str) -> _CellColumn:
        for col in self._fitted():
            if col.name == column:
                if col.kind != "categorical":
                    raise DataError(f"Column '{column}' is not a categorical column.", column=column)
                return col
        raise DataError(f"There is no column '{column}'. The columns are: {', '.join(self.columns)}.", column=column)

    @staticmethod
    def _as_categorical(col: _CellColumn) -> CategoricalColumn:
        return CategoricalColumn(name=col.name, dtype=col.dtype, levels=col.levels, has_missing=col.has_missing)

    def _numbers(self, series: pd.Series, col: _CellColumn) -> np.ndarray:
        return fitted_numbers(series, self.schema.column(col.name), col.step_us, col.has_missing)


# --- cells and the numeric map ------------------------------------------------------------------


def _knots(counts: np.ndarray) -> np.ndarray:
    """(k + 1,) knots of k cells holding (k,) counts (each >= 1): Phi^-1 of the cumulative shares.

    The shares are squeezed into [eps, 1 - eps] (eps half a row's share) so that the end knots are finite.
    """
    total = counts.sum()
    eps = 0.5 / total
    shares = np.concatenate([[0.0], np.cumsum(counts) / total])
    return ndtri(eps + (1 - 2 * eps) * shares)


def _cuts(present: np.ndarray, max_cells: int, half_step: float) -> np.ndarray:
    """(k + 1,) strictly increasing cell edges in x around the distinct (n,) values, or around at most
    `max_cells` representative values (quantiles) of a column with more: midway between neighbours, and
    half a gap beyond the ends. A constant column gets one cell of ±`half_step`, inside its rounding."""
    values = np.unique(present)
    if len(values) > max_cells:
        values = np.unique(np.quantile(present, np.linspace(0, 1, max_cells), method="inverted_cdf"))
    if len(values) == 1:
        return np.array([values[0] - half_step, values[0] + half_step])
    middles = (values[1:] + values[:-1]) / 2
    first = values[0] - (values[1] - values[0]) / 2
    last = values[-1] + (values[-1] - values[-2]) / 2
    return np.concatenate([[first], middles, [last]])


def _cell_middles(knots: np.ndarray, index: np.ndarray) -> np.ndarray:
    return (knots[index] + knots[index + 1]) / 2


def _cell_of(y: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """(n,) cell index of (n,) values; beyond the ends, the end cells."""
    return np.clip(np.searchsorted(knots, y, side="right") - 1, 0, len(knots) - 2)


def _outer_slope(col: _CellColumn) -> float:
    """dy/dx beyond the training range: the map's average slope, so far values stay far."""
    return (col.knots[-1] - col.knots[0]) / (col.points[-1] - col.points[0])


def _forward(x: np.ndarray, col: _CellColumn) -> np.ndarray:
    """(n,) numbers -> (n,) y through the piecewise-linear map, straight beyond its ends."""
    points, knots, slope = np.array(col.points), np.array(col.knots), _outer_slope(col)
    y = np.interp(x, points, knots)
    y = np.where(x < points[0], knots[0] + (x - points[0]) * slope, y)
    return np.where(x > points[-1], knots[-1] + (x - points[-1]) * slope, y)


def _backward(y: np.ndarray, col: _CellColumn) -> np.ndarray:
    """(n,) y -> (n,) numbers: `_forward` read backwards."""
    points, knots, slope = np.array(col.points), np.array(col.knots), _outer_slope(col)
    x = np.interp(y, knots, points)
    x = np.where(y < knots[0], points[0] + (y - knots[0]) / slope, x)
    return np.where(y > knots[-1], points[-1] + (y - knots[-1]) / slope, x)


def _slopes(x: np.ndarray, col: _CellColumn) -> np.ndarray:
    """(n,) dy/dx of the map at (n,) numbers (> 0)."""
    points, knots = np.array(col.points), np.array(col.knots)
    segment = np.clip(np.searchsorted(points, x, side="right") - 1, 0, len(points) - 2)
    slopes = (knots[segment + 1] - knots[segment]) / (points[segment + 1] - points[segment])
    outside = (x < points[0]) | (x > points[-1])
    return np.where(outside, _outer_slope(col), slopes)
