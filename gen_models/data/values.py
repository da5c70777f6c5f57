"""Cell values as numbers: the conversions the encoders and the evaluation share.

Both read a numeric column as float64 with NaN for empty cells, and a datetime column as time
since 1970-01-01 UTC. They differ in what they do next, each for a reason given where it happens:
the encoders count datetimes in whole microsecond steps and refuse infinite numbers
(`column_numbers`); the evaluation counts datetimes in nanoseconds and treats infinite numbers
as missing (`evaluation.columns.numeric_values`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from gen_models.data.schema import ColumnSpec, parse_datetimes

# Datetime steps tried, coarsest first, in microseconds: day, hour, minute, second, ms, us.
DATETIME_STEPS_US = (86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000, 1_000, 1)


def numbers(series: pd.Series) -> np.ndarray:
    """(n,) float64 copy of a column's numbers: NaN where a cell is empty or not a number; ±inf kept."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array(values, dtype=np.float64)  # a copy: to_numpy may return a read-only view of the caller's data


def datetime_numbers(moments: pd.Series, unit: Literal["us", "ns"]) -> np.ndarray:
    """(n,) float64 time since 1970-01-01 UTC in `unit` (microseconds or nanoseconds), NaN where NaT.

    `moments` is a datetime64 column, naive (read as UTC) or time-zone aware (converted to UTC).
    """
    if isinstance(moments.dtype, pd.DatetimeTZDtype):
        moments = moments.dt.tz_convert(None)  # to naive UTC
    stamps = moments.to_numpy(dtype=f"datetime64[{unit}]")
    values = stamps.astype(np.int64).astype(np.float64)
    values[np.isnat(stamps)] = np.nan
    return values


def datetime_step(micros: np.ndarray) -> int:
    """The coarsest step in DATETIME_STEPS_US that every (non-empty) value of (n,) microseconds is a multiple of."""
    present = micros[~np.isnan(micros)].astype(np.int64)
    for step in DATETIME_STEPS_US:
        if np.all(present % step == 0):
            return step
    return 1


def column_numbers(series: pd.Series, spec: ColumnSpec, step_us: int = 1) -> np.ndarray:
    """(n,) float64 numbers of a numeric column as the encoders read it, NaN where empty.

    Datetimes become steps of `step_us` microseconds since 1970 (see `datetime_step`). They are
    read as microseconds, where the evaluation reads nanoseconds: the steps are whole numbers of
    microseconds, and microseconds also hold dates beyond the years 1678-2262 that nanoseconds
    cannot. Infinite numbers are kept, so that an encoder can name the row holding one.
    """
    if spec.kind == "datetime":
        return datetime_numbers(parse_datetimes(series, spec), "us") / step_us
    return numbers(series)
