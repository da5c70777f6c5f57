"""What each column of a table is, and whether the table can be trained on.

`infer_schema` looks at a raw DataFrame and decides, per column, how a model should treat it
(a number, a whole number, a category, a date, or nothing). `validate_table` checks a table
against a schema just before training and explains anything that would break it.
`conditionable_columns` says which columns a conditional model may condition on.

Rules used by `infer_schema` (in this order, per column):
- every cell empty                          -> ignore (warning)
- true/false values or a pandas category     -> categorical
- datetime64                                 -> datetime
- whole numbers (int dtype, or floats that are all whole):
    - a different value on every row that together are exactly 0..n-1 or 1..n (in any order)
      -> ignore: it is a row number (warning)
    - few distinct values -> categorical, where "few" means at most 2, or at most 10 and at
      most 5% of the non-empty cells (a 0/1 flag, a year in a 300-row table)
    - otherwise -> integer
- other numbers                              -> continuous
- text: dates in one format (e.g. 2020-01-31) -> datetime; a different value on every row ->
  ignore: it is an identifier (warning); otherwise -> categorical
- anything else (complex numbers, durations, ...) -> ignore (warning)
Categorical columns may have at most `max_levels` categories, otherwise a DataError asks the
user to ignore the column.

Row numbers in messages count data rows from 1, not counting the header: row 1 is the first
row under the header (row 2 in a spreadsheet).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from gen_models.data.errors import DataError
from gen_models.data.layouts import DataLayout

# How a model treats a column: a number, a whole number, a category, a moment in time, or not at all.
ColumnKind = Literal["continuous", "integer", "categorical", "datetime", "ignore"]
KINDS: tuple[ColumnKind, ...] = get_args(ColumnKind)
# The kinds read as numbers (datetimes as time since 1970), by the encoders and the evaluation alike.
NUMERIC_KINDS: tuple[ColumnKind, ...] = ("continuous", "integer", "datetime")

# A whole-number column is treated as categories when it has at most this many values ...
FEW_LEVELS = 10
# ... and they are at most this share of its non-empty cells (so 5 values in 20 rows stay numbers).
FEW_LEVELS_SHARE = 0.05
# Warn when more than this share of a used column is empty.
MOSTLY_EMPTY = 0.5
# A column whose most common value fills this share of its rows gets a warning.
DOMINANT_SHARE = 0.95
# datetime_format of a text column whose dates are written in several formats.
MIXED_DATES = "mixed"
# A text column with at least this share of dates is reported as dates spoiled by a few cells.
MOSTLY_DATES = 0.8
# Numbers larger than this overflow the models' 32-bit arithmetic once scaled (1e308 did); refused when read.
MAX_MAGNITUDE = 1e30


@dataclass
class ColumnSpec:
    """How one column is treated.

    kind: one of `ColumnKind`: "continuous" | "integer" | "categorical" | "datetime" | "ignore".
    dtype: the original pandas dtype as a string ("int64", "str", "datetime64[us, UTC]", ...),
        used to give generated data the same type.
    reason: one line saying why this kind was chosen ("set by you" for overrides).
    missing_rate: share of empty cells, 0..1.
    n_unique: number of distinct non-empty values.
    datetime_format: strptime format of a datetime column stored as text, else None.
    """

    name: str
    kind: ColumnKind
    dtype: str
    reason: str
    missing_rate: float = 0.0
    n_unique: int = 0
    datetime_format: str | None = None


@dataclass
class TableSchema:
    """Every column of a table (in order, ignored ones included) plus warnings for the user."""

    columns: list[ColumnSpec]
    warnings: list[str] = field(default_factory=list)

    @property
    def used_columns(self) -> list[str]:
        """Names of the columns a model trains on, in table order."""
        return [spec.name for spec in self.columns if spec.kind != "ignore"]

    def kinds(self, include_ignored: bool = False) -> dict[str, ColumnKind]:
        """{column: kind} in table order: the used columns (what the evaluation's `kinds` take), or all."""
        return {spec.name: spec.kind for spec in self.columns if include_ignored or spec.kind != "ignore"}

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise DataError(f"There is no column '{name}' in the table.", column=name)

    def to_dict(self) -> dict:
        return {"columns": [asdict(spec) for spec in self.columns], "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, d: dict) -> TableSchema:
        return cls(columns=[ColumnSpec(**spec) for spec in d["columns"]], warnings=list(d.get("warnings", [])))


def infer_schema(
    df: pd.DataFrame,
    overrides: dict[str, str] | None = None,
    max_levels: int = 50,
    discrete: list[str] | None = None,
    ignore_unusable: bool = False,
) -> TableSchema:
    """Decide how each column of `df` should be modelled (see the module docstring for the rules).

    overrides: {column: kind} chosen by the user; wins over inference.
    discrete: columns the user wants as categories (same as overriding them to "categorical");
        `overrides` wins where a column is in both.
    ignore_unusable: a column *guessed* categorical with more than `max_levels` categories (free
        text, names) is set to "ignore" with a warning instead of refusing the table; the app uses
        this so a table opens with its usable columns. Kinds the user chose are never overruled.
    Raises DataError for an unknown column or kind, a kind that does not fit the column's values,
    or a categorical column with more than `max_levels` categories.
    """
    _check_column_names(df)
    requested = {name: "categorical" for name in discrete or []}
    requested.update(overrides or {})
    for name, kind in requested.items():
        if name not in df.columns:
            listing = ", ".join(f"'{c}'" for c in df.columns)
            raise DataError(f"There is no column '{name}' in the table. The columns are: {listing}.", column=name)
        if kind not in KINDS:
            raise DataError(
                f"'{kind}' is not a column type (column '{name}'). Choose one of: {', '.join(KINDS)}.", column=name
            )

    columns, notes = [], []
    for name in df.columns:
        series = df[name]
        if name in requested:
            spec = _requested_spec(series, requested[name])
            warning = None
        else:
            spec, warning = _inferred_spec(series)
        if warning:
            notes.append(warning)
        if spec.kind != "ignore" and spec.missing_rate > MOSTLY_EMPTY:
            notes.append(
                f"Column '{name}' is {spec.missing_rate:.0%} empty; generated data will be mostly empty there too."
            )
        if spec.kind != "ignore":
            notes.extend(_one_value_warnings(series, name))
        if spec.kind == "categorical" and spec.n_unique > max_levels:
            if not ignore_unusable or name in requested:
                raise DataError(_too_many_levels(name, spec.n_unique, max_levels), column=name)
            notes.append(f"{_too_many_levels(name, spec.n_unique, max_levels)} Latent Lab has set it to 'ignore'.")
            spec.kind = "ignore"
            spec.reason = f"{spec.n_unique} different values: too many to use as categories"
        columns.append(spec)
    return TableSchema(columns=columns, warnings=notes)


def _one_value_warnings(series: pd.Series, name: str) -> list[str]:
    """A warning for a column that is constant, or holds one value in nearly every row."""
    counts = series.value_counts(dropna=True)
    if len(counts) == 1:
        return [f"Column '{name}' holds one value ('{counts.index[0]}') in every row; it will be generated so too."]
    share = counts.iloc[0] / counts.sum() if len(counts) else 0.0
    if share >= DOMINANT_SHARE:
        return [
            f"Column '{name}' is '{counts.index[0]}' in {share:.0%} of rows; a model sees few of its other values, "
            "so they may be generated rarely or never."
        ]
    return []


def conditionable_columns(schema: TableSchema, layout: DataLayout | None = None) -> list[str]:
    """The columns a conditional model may condition on, in table order.

    A table's categorical columns; for images and time series only the layout's label column
    (its pixels or values are not categories), or none when the layout has no label.
    """
    if layout is not None and layout.kind != "table":
        return [layout.label] if layout.label else []
    return [spec.name for spec in schema.columns if spec.kind == "categorical"]


def validate_table(df: pd.DataFrame, schema: TableSchema, min_rows: int = 10, max_levels: int = 50) -> None:
    """Raise DataError if a model cannot be trained on `df` with `schema`; return None if it can.

    Checks: the schema's used columns exist, there are at least `min_rows` rows, at least one
    column is used, no used column is entirely empty, numeric columns hold finite numbers,
    datetime columns parse, categorical columns have at most `max_levels` categories.
    """
    _check_column_names(df)
    used = schema.used_columns
    for name in used:
        if name not in df.columns:
            raise DataError(f"Column '{name}' is missing from the table.", column=name)
    if len(df) == 0:
        raise DataError("The table has no rows.")
    if len(df) < min_rows:
        raise DataError(f"The table has {len(df)} rows; training needs at least {min_rows}.")
    if not used:
        raise DataError("No column can be used for training: every column is set to 'ignore'.")

    for name in used:
        spec = schema.column(name)
        series = df[name]
        if series.isna().all():
            raise DataError(f"Column '{name}' has no values: every cell is empty. Set it to 'ignore'.", column=name)
        if spec.kind in ("continuous", "integer"):
            _check_numbers(series, name)
        elif spec.kind == "datetime":
            parsed = parse_datetimes(series, spec)
            unparsed = parsed.isna().to_numpy() & series.notna().to_numpy()
            if unparsed.any():
                row = _first_row(unparsed)
                raise DataError(
                    f"Column '{name}' should hold dates, but row {row} holds '{series.iloc[row - 1]}', "
                    "which cannot be read as a date.",
                    column=name,
                    row=row,
                )
        elif spec.kind == "categorical":
            n_levels = series.nunique(dropna=True)
            if n_levels > max_levels:
                raise DataError(_too_many_levels(name, n_levels, max_levels), column=name)


def parse_datetimes(series: pd.Series, spec: ColumnSpec) -> pd.Series:
    """The column as datetime64 (same length); cells that cannot be read become NaT."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    return _parse_datetime_text(series, spec.datetime_format)


# --- inference helpers -------------------------------------------------------------------------


def _inferred_spec(series: pd.Series) -> tuple[ColumnSpec, str | None]:
    """The spec `infer_schema` picks for a column nobody overrode, and a warning if it is ignored."""
    name = str(series.name)
    present = series.dropna()
    n_rows, n_present = len(series), len(present)
    n_unique = int(present.nunique())

    def spec(kind: str, reason: str, datetime_format: str | None = None) -> ColumnSpec:
        return _spec(series, kind, reason, datetime_format)

    if n_present == 0:
        return spec("ignore", "every cell is empty"), f"Column '{name}' is empty, so it is left out."
    if pd.api.types.is_bool_dtype(series) or _all_bools(present):
        return spec("categorical", "true/false values"), None
    if isinstance(series.dtype, pd.CategoricalDtype):
        return spec("categorical", f"stored as categories ({n_unique} different values)"), None
    if pd.api.types.is_datetime64_any_dtype(series):
        return spec("datetime", "dates and times"), None
    if pd.api.types.is_complex_dtype(series):
        return spec("ignore", "complex numbers are not supported"), (
            f"Column '{name}' holds complex numbers, which are not supported; it is left out."
        )
    if pd.api.types.is_numeric_dtype(series):
        values = present.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        whole = pd.api.types.is_integer_dtype(series) or bool(np.all(finite == np.round(finite)))
        if not whole:
            return spec("continuous", "decimal numbers"), None
        if _is_row_number(values, n_rows):
            return spec("ignore", "a different whole number on every row, counting from 0 or 1"), (
                f"Column '{name}' numbers the rows (a different value on every row, counting up), "
                "so it looks like an identifier; it is left out."
            )
        if n_unique <= 2 or (n_unique <= FEW_LEVELS and n_unique <= FEW_LEVELS_SHARE * n_present):
            return spec("categorical", f"whole numbers with only {n_unique} different values"), None
        return spec("integer", f"whole numbers with {n_unique} different values"), None
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        datetime_format = _datetime_format(present)
        if datetime_format is not None:
            return spec("datetime", f"text holding dates ({datetime_format})", datetime_format), None
        date_warning = _unparsed_dates_warning(name, present)
        if n_unique == n_rows and n_rows >= 2:
            return spec("ignore", "a different value on every row"), date_warning or (
                f"Column '{name}' has a different value on every row, so it looks like an identifier; it is left out."
            )
        return spec("categorical", f"text with {n_unique} different values"), date_warning
    return spec("ignore", f"type {series.dtype} is not supported"), (
        f"Column '{name}' has type {series.dtype}, which is not supported; it is left out."
    )


def _requested_spec(series: pd.Series, kind: str) -> ColumnSpec:
    """The spec for a kind the user chose, after checking the column's values allow it."""
    name = str(series.name)
    is_number = (
        pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
        and not pd.api.types.is_complex_dtype(series)
    )
    datetime_format = None
    if kind in ("continuous", "integer") and not is_number:
        raise DataError(
            f"Column '{name}' holds {_what_it_holds(series)}, so it cannot be set to '{kind}'.", column=name
        )
    if kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(series):
        is_text = pd.api.types.is_string_dtype(series) or series.dtype == object
        datetime_format = _datetime_format(series.dropna()) if is_text else None
        if datetime_format is None:
            raise DataError(
                f"Column '{name}' holds {_what_it_holds(series)} that cannot be read as dates, "
                "so it cannot be set to 'datetime'.",
                column=name,
            )
    if kind == "categorical" and pd.api.types.is_datetime64_any_dtype(series):
        raise DataError(
            f"Column '{name}' holds dates, so it cannot be set to 'categorical'; use 'datetime' or 'ignore'.",
            column=name,
        )
    return _spec(series, kind, "set by you", datetime_format)


def _spec(series: pd.Series, kind: str, reason: str, datetime_format: str | None) -> ColumnSpec:
    n_rows = len(series)
    missing_rate = float(series.isna().mean()) if n_rows else 0.0
    return ColumnSpec(
        name=str(series.name),
        kind=kind,
        dtype=str(series.dtype),
        reason=reason,
        missing_rate=missing_rate,
        n_unique=int(series.nunique(dropna=True)),
        datetime_format=datetime_format,
    )


def _is_row_number(values: np.ndarray, n_rows: int) -> bool:
    """True if the (non-empty) whole numbers are exactly 0..n-1 or 1..n, one per row."""
    if len(values) != n_rows or n_rows < 2:
        return False
    ordered = np.sort(values)
    return bool(ordered[0] in (0, 1) and np.all(np.diff(ordered) == 1))


def _all_bools(present: pd.Series) -> bool:
    """True for an object column holding only True/False (what pandas makes of a bool column with blanks)."""
    return present.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in present.unique())


def _datetime_format(present: pd.Series) -> str | None:
    """The one strptime format every (non-empty) text value is written in, or None if not dates.

    Numbers written as text ("2020", "3") are not taken as dates.
    """
    if len(present) == 0 or not all(isinstance(v, str) for v in present.iloc[:100]):
        return None
    # Each distinct text read once: a column of a million cells often holds a few thousand values.
    distinct = pd.Series(present.unique())
    if pd.to_numeric(distinct, errors="coerce").notna().all():
        return None
    first = str(present.iloc[0])
    with warnings.catch_warnings():
        # guess_datetime_format warns when it reads "13/02/2020" as day-first; we test both orders.
        warnings.simplefilter("ignore")
        candidates = [guess_datetime_format(first), guess_datetime_format(first, dayfirst=True)]
    for candidate in candidates:
        if candidate is not None and _parse_datetime_text(distinct, candidate).notna().all():
            return candidate
    # Dates written in several formats in one column ("2024-01-05", "5 March 2024"): each is read on its own.
    if _mixed_dates(distinct).notna().all():
        return MIXED_DATES
    return None


def _mixed_dates(present: pd.Series) -> pd.Series:
    """Text read as dates one value at a time (pandas' "mixed" format); NaT where a value is no date."""
    return _parse_datetime_text(present, MIXED_DATES)


def _unparsed_dates_warning(name: str, present: pd.Series) -> str | None:
    """A warning naming the rows that spoil a column of mostly dates, or None if it is not mostly dates."""
    if len(present) < 5:
        return None
    counts = present.value_counts(sort=False)  # each distinct text read once, weighed by its cells
    distinct, cells = pd.Series(counts.index), counts.to_numpy()
    if cells[pd.to_numeric(distinct, errors="coerce").notna().to_numpy()].sum() > 0.5 * len(present):
        return None
    dates = _mixed_dates(distinct).notna().to_numpy()
    if cells[dates].sum() < MOSTLY_DATES * len(present):
        return None
    bad = present[present.isin(distinct[~dates])]
    rows = ", ".join(str(int(position) + 1) for position in bad.index[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return (
        f"Column '{name}' holds dates except in row(s) {rows}{more} ('{bad.iloc[0]}'), so it is read as categories. "
        "Correct or empty those cells and it is read as dates."
    )


def _parse_datetime_text(series: pd.Series, datetime_format: str | None) -> pd.Series:
    # A format with a UTC offset may see several offsets in one column; pandas then needs utc=True.
    utc = datetime_format is not None and ("%z" in datetime_format or "%Z" in datetime_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(series, format=datetime_format or "mixed", errors="coerce", utc=utc)
        except (ValueError, TypeError):
            return pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")


def _what_it_holds(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "true/false values"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "dates"
    if pd.api.types.is_numeric_dtype(series):
        return "numbers"
    return "text"


# --- validation helpers ------------------------------------------------------------------------


def _check_column_names(df: pd.DataFrame) -> None:
    for name in df.columns:
        if not isinstance(name, str):
            raise DataError(f"Column names must be text, but one column is named {name!r}.", column=str(name))
    duplicated = df.columns[df.columns.duplicated()]
    if len(duplicated):
        name = duplicated[0]
        raise DataError(f"Column '{name}' appears more than once. Rename one of them.", column=name)


def _check_numbers(series: pd.Series, name: str) -> None:
    """Raise DataError at the first cell of a numeric column that is not a finite number."""
    numbers = pd.to_numeric(series, errors="coerce")
    not_numbers = numbers.isna().to_numpy() & series.notna().to_numpy()
    if not_numbers.any():
        row = _first_row(not_numbers)
        raise DataError(
            f"Column '{name}' should hold numbers, but row {row} holds '{series.iloc[row - 1]}'.",
            column=name,
            row=row,
        )
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        row = _first_row(infinite)
        raise DataError(
            f"Column '{name}' has an infinite value in row {row} (rows count from 1 under the header). "
            "Replace it with a number or leave the cell empty.",
            column=name,
            row=row,
        )
    huge = np.abs(np.nan_to_num(values)) > MAX_MAGNITUDE
    if huge.any():
        row = _first_row(huge)
        raise DataError(
            f"Column '{name}' holds {values[row - 1]:g} in row {row}, too large to learn from (models compute in "
            f"32-bit numbers; at most {MAX_MAGNITUDE:g} in size). Is it a placeholder for a missing value? "
            "Leave such cells empty.",
            column=name,
            row=row,
        )


def _first_row(mask: np.ndarray) -> int:
    """1-based row number of the first True in a per-row mask."""
    return int(np.argmax(mask)) + 1


def _too_many_levels(name: str, n_levels: int, max_levels: int) -> str:
    return (
        f"Column '{name}' has {n_levels} different values; at most {max_levels} categories are supported. "
        "Mark it as 'ignore' or reduce its categories."
    )
