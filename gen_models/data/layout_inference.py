"""Guessing what one item of a user's file is: a table row, an image (pixel columns) or a time series (long format).

The guess is only a proposal: the Data page shows it with its reason and the user can change it; the CLI's
`train` uses it when no layout flag is given and prints it, and explicit flags win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gen_models.data.layouts import DataLayout

# Fewest pixels an image guess accepts (4x4); fewer square columns are more likely a small table.
MIN_PIXELS = 16
# Names a label column usually has, in a pixel file or a series file.
LABEL_NAMES = ("label", "labels", "class", "target", "digit", "y", "category", "kind")
# A series id must repeat: at least this many rows per series on average ...
MIN_STEPS_PER_SERIES = 3
# ... and there must be at least this many series.
MIN_SERIES = 2
# A per-series label has at most this many levels.
MAX_LABEL_LEVELS = 50


@dataclass(frozen=True)
class LayoutGuess:
    """A proposed layout and the sentence that says why."""

    layout: DataLayout
    reason: str


def infer_layout(df: pd.DataFrame) -> LayoutGuess:
    """The layout `df` most likely has; a plain table when nothing else fits."""
    return _image_guess(df) or _sequence_guess(df) or LayoutGuess(DataLayout(), "Each row is one item (a table).")


# --- images ------------------------------------------------------------------------------------------------------


def _image_guess(df: pd.DataFrame) -> LayoutGuess | None:
    """Pixel columns: a square number of them (plus at most one label), all 0-255 whole numbers or 0-1 floats."""
    columns = list(df.columns)
    for label in [None, *_label_candidates(columns)]:
        pixels = [c for c in columns if c != label]
        side = math.isqrt(len(pixels))
        if len(pixels) < MIN_PIXELS or side * side != len(pixels):
            continue
        scale = _pixel_scale(df[pixels])
        if scale is None:
            continue
        labelled = f", with the label in '{label}'" if label else ""
        reason = (
            f"{len(pixels)} columns of {scale} values form a {side}x{side} square: read as {side}x{side} "
            f"images, one per row{labelled}."
        )
        return LayoutGuess(DataLayout(kind="images", image_shape=(side, side), label=label), reason)
    return None


def _label_candidates(columns: list) -> list:
    """Columns that could be the one label beside the pixels: named like a label first, then the first and last."""
    named = [c for c in columns if str(c).strip().lower() in LABEL_NAMES]
    ends = [columns[0], columns[-1]] if columns else []
    return list(dict.fromkeys(named + ends))


def _pixel_scale(pixels: pd.DataFrame) -> str | None:
    """'0-255 whole-number' or '0-1' when every cell is such a pixel value, else None."""
    if not all(ptypes.is_numeric_dtype(pixels[c]) and not ptypes.is_bool_dtype(pixels[c]) for c in pixels.columns):
        return None
    values = pixels.to_numpy(dtype=float)
    if np.isnan(values).any():
        return None
    low, high = values.min(), values.max()
    if low >= 0 and high <= 255 and np.all(values == np.round(values)) and high > 1:
        return "0-255 whole-number"
    if low >= 0 and high <= 1:
        return "0-1"
    return None


# --- long time series ------------------------------------------------------------------------------------------


def _sequence_guess(df: pd.DataFrame) -> LayoutGuess | None:
    """An id column that repeats and a different step column that counts up within each id."""
    if len(df) < MIN_SERIES * MIN_STEPS_PER_SERIES or len(df.columns) < 3:
        return None
    for key in _key_candidates(df):
        groups = df.groupby(key, sort=False, dropna=False)
        sizes = groups.size()
        for index in df.columns:
            if index == key or not _counts_up_within(df[index], groups):
                continue
            # Steps of real series repeat across series (hour 0..23 of every day), or the series are of similar
            # length; a category that merely splits a dated table (weather: 'rain' on some days) is neither.
            shared_steps = df[index].nunique() <= len(df) / MIN_SERIES
            if not shared_steps and sizes.max() > 2 * sizes.min():
                continue
            label = _series_label(df, key, index, groups)
            n_series = df[key].nunique(dropna=False)
            labelled = (
                f"; '{label}' is constant within each series, so it is read as the series' label" if label else ""
            )
            reason = (
                f"'{key}' repeats ({n_series} series of about {_shape_words(df, key, index, label, n_series)}) and "
                f"'{index}' counts up within each one: read as time series in long format{labelled}."
            )
            layout = DataLayout(kind="sequences", sequence_key=key, sequence_index=index, label=label)
            return LayoutGuess(layout, reason)
    return None


def _shape_words(df: pd.DataFrame, key: object, index: object, label: object, n_series: int) -> str:
    """ "24 steps", "24 steps × 2 channels"; text columns besides the label (one value per series, which the
    series encoder reads as static columns) are named after it."""
    others = [c for c in df.columns if c not in (key, index, label)]
    channels = sum(ptypes.is_numeric_dtype(df[c]) for c in others)
    words = f"{len(df) // n_series} steps" + (f" × {channels} channels" if channels > 1 else "")
    static = [f"'{c}'" for c in others if not ptypes.is_numeric_dtype(df[c])]
    return words + (f", with {', '.join(static)} per series" if static else "")


def _key_candidates(df: pd.DataFrame) -> list:
    """Columns whose values repeat like series ids: at least 2 series, 3 rows each on average, each in one block."""
    candidates = []
    for column in df.columns:
        n_unique = df[column].nunique(dropna=False)
        if MIN_SERIES <= n_unique <= len(df) / MIN_STEPS_PER_SERIES and not ptypes.is_float_dtype(df[column]):
            # A long file keeps each series' rows together, so an id's values come in one run each; a step
            # column's values (hour 0, 1, 2 ... of every day) come back again and again.
            values = df[column]
            if int((values != values.shift()).sum()) == n_unique:
                candidates.append((n_unique, column))
    # More series first: an id has many values, a label few.
    return [column for _, column in sorted(candidates, key=lambda item: -item[0])]


def _counts_up_within(series: pd.Series, groups: pd.core.groupby.DataFrameGroupBy) -> bool:
    """Whether `series` is a step counter: numbers or dates, strictly increasing within every group."""
    if not (ptypes.is_numeric_dtype(series) or ptypes.is_datetime64_any_dtype(series)) or ptypes.is_bool_dtype(series):
        return False
    if series.isna().any():
        return False
    steps = series.groupby(groups.ngroup().to_numpy(), sort=False).diff().dropna()
    if ptypes.is_timedelta64_dtype(steps):
        steps = steps.dt.total_seconds()
    return len(steps) > 0 and bool((steps > 0).all())


def _series_label(df: pd.DataFrame, key: object, index: object, groups: pd.core.groupby.DataFrameGroupBy) -> object:
    """A column constant within every series with few levels, preferring label-like names; None if none."""
    found = []
    for column in df.columns:
        if column in (key, index) or df[column].nunique() > MAX_LABEL_LEVELS or df[column].nunique() < 2:
            continue
        if (groups[column].nunique(dropna=False) == 1).all():
            found.append(column)
    named = [c for c in found if str(c).strip().lower() in LABEL_NAMES]
    return (named or found or [None])[0]
