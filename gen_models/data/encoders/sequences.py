"""Time series <-> (n, T*F) floats, scaled per value column to [-1, 1], step-major: x.reshape(n, T, F).

Long format: one row per step (a key column, an index column, one or more value columns, an optional
per-sequence label); wide format: one row per sequence, one column per step.

Long series of different lengths (up to MAX_STEPS) are padded to the longest: a shorter series is read
as the first steps of the longest one's index, its padded steps repeat its last values (no jump for a
recurrent network to learn), and one more channel, last in each step, says whether the step is real
(+1) or padding (-1). Decoding cuts each series where that channel first falls to 0 or below (keeping
at least one step), so a model that generates the channel generates each series' length with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.base import LabelMixin, Span, json_levels, sort_key
from gen_models.data.encoders.tabular import decimal_places
from gen_models.data.errors import DataError
from gen_models.data.layouts import DataLayout

MAX_STEPS = 2000  # the longest series a model is built for: an LSTM over more steps would train for hours


class SequenceEncoder(LabelMixin):
    """Equal-length series <-> (n_sequences, T*F) floats in [-1, 1], step-major (reshape to (n, T, F))."""

    kind = "sequences"
    condition_in_rows = False

    def __init__(self, layout: DataLayout):
        self.layout = layout
        self.label = layout.label
        self.value_columns: list[str] = []  # long: the value columns; wide: the step columns
        self.index_values: list[Any] = []  # long: the index values of one sequence, in order
        self.index_dtype = "int64"
        self.key_dtype = "int64"
        self.value_dtypes: list[str] = []
        self.lows: list[float] = []
        self.highs: list[float] = []
        self.label_levels: list[Any] = []
        self.label_dtype = "object"
        self.masked = False  # long series of different lengths: padded, with a last channel marking real steps
        self.decimals: list[int] | None = None  # per value column: generated values are rounded to the data's

    @property
    def steps(self) -> int:
        return len(self.value_columns) if self.layout.wide else len(self.index_values)

    @property
    def features(self) -> int:
        """Channels per step in the encoded rows: the value columns, plus the mask channel when masked."""
        return 1 if self.layout.wide else len(self.value_columns) + int(self.masked)

    def series(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(n_sequences, T, V) raw values in key order, shorter series padded with their last values,
        and (n_sequences,) lengths. V is the number of value columns (1 for wide data)."""
        values, lengths, _ = self._array(df, fitting=False)
        return values, lengths

    def series_labels(self, df: pd.DataFrame) -> np.ndarray | None:
        """(n_sequences,) label of each series in key order, or None when there is no label column in df."""
        if self.label is None or self.label not in df.columns:
            return None
        _, _, per_sequence = self._array(df, fitting=False)
        return per_sequence[self.label].to_numpy()

    def _array(self, df: pd.DataFrame, fitting: bool) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """(n_sequences, T, V) raw values (padded as `series` says), (n_sequences,) lengths and one row
        per sequence (key, label), in key order."""
        layout = self.layout
        if layout.wide:
            values = df[self.value_columns].to_numpy(dtype=np.float64)[:, :, None]
            return values, np.full(len(values), values.shape[1]), df
        key, index = layout.sequence_key, layout.sequence_index
        ordered = df.sort_values([key, index], kind="stable")
        lengths = ordered.groupby(key, sort=False).size().to_numpy()
        longest = int(lengths.max())
        if longest > MAX_STEPS:
            raise DataError(f"A series has {longest:,} steps; at most {MAX_STEPS:,} are modelled: cut them first.")
        if not fitting:
            if not self.masked and (lengths != self.steps).any():
                raise DataError(f"Every sequence must have {self.steps} steps, as in training.", column=key)
            if longest > self.steps:
                raise DataError(f"A sequence has {longest} steps; this model makes at most {self.steps}.", column=key)
        steps = longest if fitting else self.steps
        flat = ordered[self.value_columns].to_numpy(dtype=np.float64)
        if (lengths == steps).all():
            values = flat.reshape(len(lengths), steps, -1)
        else:
            # Step j of series i goes to [i, j]; each series' last row then fills its padded steps.
            series_number = np.repeat(np.arange(len(lengths)), lengths)
            position = ordered.groupby(key, sort=False).cumcount().to_numpy()
            last = flat[np.cumsum(lengths) - 1]
            values = np.repeat(last[:, None, :], steps, axis=1)
            values[series_number, position] = flat
        per_sequence = ordered.groupby(key, sort=False).head(1)
        return values, lengths, per_sequence

    def fit(self, df: pd.DataFrame) -> SequenceEncoder:
        layout = self.layout
        needed = [c for c in (layout.sequence_key, layout.sequence_index, layout.label) if c]
        for column in needed:
            if column not in df.columns:
                raise DataError(f"There is no column '{column}'.", column=column)
        others = [c for c in df.columns if c not in needed]
        non_numeric = [c for c in others if not pd.api.types.is_numeric_dtype(df[c])]
        if non_numeric:
            raise DataError(
                f"Column '{non_numeric[0]}' holds text; time-series values must be numbers "
                "(name it as the label if it labels each sequence).",
                column=non_numeric[0],
            )
        if not others:
            raise DataError("There is no value column besides the key, index and label.")
        self.value_columns = list(map(str, others))
        if not layout.wide:
            key, index = layout.sequence_key, layout.sequence_index
            ordered = df.sort_values([key, index], kind="stable")
            lengths = ordered.groupby(key, sort=False).size()
            # The longest series' index (the first of them in key order) names the steps of all.
            longest_key = lengths.idxmax()
            self.index_values = ordered.loc[ordered[key] == longest_key, index].tolist()
            self.index_dtype = str(df[index].dtype)
            self.key_dtype = str(df[key].dtype)
            self.masked = lengths.nunique() > 1
        values, _, per_sequence = self._array(df, fitting=True)
        if not np.isfinite(values).all():
            raise DataError("The time series have empty or infinite values; fill them before training.")
        self.value_dtypes = [str(df[c].dtype) for c in self.value_columns]
        places = [decimal_places(df[c].to_numpy(dtype=np.float64), str(df[c].dtype)) for c in self.value_columns]
        self.decimals = [max(places)] if layout.wide else places  # wide: the step columns are one channel
        self.lows = values.min(axis=(0, 1)).tolist()
        self.highs = values.max(axis=(0, 1)).tolist()
        if self.label is not None:
            # Read on every row: one row per sequence would hide a label that changes within it.
            if not layout.wide and df.groupby(layout.sequence_key)[self.label].nunique().max() > 1:
                raise DataError(
                    f"The label '{self.label}' changes within a sequence; it must be one value per sequence.",
                    column=self.label,
                )
            self.label_levels = sorted(pd.unique(per_sequence[self.label].dropna()).tolist(), key=sort_key)
            self.label_dtype = str(df[self.label].dtype)
        return self

    def _scale(self) -> tuple[np.ndarray, np.ndarray]:
        low, high = np.array(self.lows), np.array(self.highs)
        return low, np.where(high > low, high - low, 1.0)

    @property
    def spans(self) -> list[Span]:
        return [Span(column="values", role="value", start=0, width=self.output_dim, activation="tanh")]

    @property
    def output_dim(self) -> int:
        return self.steps * self.features

    @property
    def columns(self) -> list[str]:
        layout = self.layout
        if layout.wide:
            return list(self.value_columns)
        return [layout.sequence_key, layout.sequence_index, *self.value_columns]

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n_sequences, T*F) float32 in [-1, 1]; when masked, channel F-1 of each step is +1 (real) or -1 (padding)."""
        values, lengths, _ = self._array(df, fitting=False)
        low, span = self._scale()
        scaled = np.clip(2 * (values - low) / span - 1, -1, 1)
        if self.masked:
            real_step = np.arange(self.steps)[None, :] < lengths[:, None]  # (n, T)
            scaled = np.concatenate([scaled, np.where(real_step, 1.0, -1.0)[:, :, None]], axis=2)
        return scaled.reshape(len(values), -1).astype(np.float32)

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """(n_sequences, n_levels) one-hot labels, one per sequence in key order."""
        _, _, per_sequence = self._array(df, fitting=False)
        return self.one_hot(column, per_sequence[column].tolist())

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame:
        """(n, T*F) -> the original layout: long rows (key, index, values[, label]) or wide rows."""
        n = len(x)
        low, span = self._scale()
        encoded = np.clip(np.asarray(x, dtype=np.float64).reshape(n, self.steps, self.features), -1, 1)
        lengths = np.full(n, self.steps)
        if self.masked:
            # A series ends at its first step marked as padding; it keeps at least one step.
            ended = encoded[:, :, -1] <= 0
            lengths = np.where(ended.any(axis=1), ended.argmax(axis=1), self.steps).clip(min=1)
            encoded = encoded[:, :, :-1]
        values = (encoded + 1) / 2 * span + low
        if self.decimals is not None:
            values = _round_columns(values, self.decimals)
        labels = self._labels_from_condition(condition, n)
        if self.layout.wide:
            frame = pd.DataFrame(values[:, :, 0], columns=self.value_columns)
            for column, dtype in zip(self.value_columns, self.value_dtypes, strict=True):
                frame[column] = _restore(frame[column].to_numpy(), dtype)
            if labels is not None:
                frame[self.label] = labels.to_numpy()
            return frame
        layout = self.layout
        keys = np.repeat(np.arange(n), lengths)
        key_values = (
            keys if pd.api.types.is_integer_dtype(np.dtype(self.key_dtype)) else [f"synthetic_{k}" for k in keys]
        )
        frame = pd.DataFrame({layout.sequence_key: key_values})
        kept = np.arange(self.steps)[None, :] < lengths[:, None]  # (n, T): the steps each series keeps
        positions = np.nonzero(kept)[1]
        frame[layout.sequence_index] = pd.Series(self.index_values).astype(self.index_dtype).to_numpy()[positions]
        flat = values[kept]  # (sum of lengths, V)
        for j, (column, dtype) in enumerate(zip(self.value_columns, self.value_dtypes, strict=True)):
            frame[column] = _restore(flat[:, j], dtype)
        if labels is not None:
            frame[self.label] = np.repeat(labels.to_numpy(), lengths)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "layout": self.layout.to_dict(),
            "value_columns": self.value_columns,
            "index_values": json_levels(self.index_values),
            "index_dtype": self.index_dtype,
            "key_dtype": self.key_dtype,
            "value_dtypes": self.value_dtypes,
            "lows": self.lows,
            "highs": self.highs,
            "label_levels": json_levels(self.label_levels),
            "label_dtype": self.label_dtype,
            "masked": self.masked,
            "decimals": self.decimals,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SequenceEncoder:
        enc = cls(DataLayout.from_dict(d["layout"]))
        for name in ("value_columns", "index_values", "value_dtypes", "lows", "highs", "label_levels"):
            setattr(enc, name, list(d[name]))
        enc.index_dtype, enc.key_dtype, enc.label_dtype = d["index_dtype"], d["key_dtype"], d["label_dtype"]
        enc.masked = bool(d.get("masked", False))  # encoders saved before masking never padded
        decimals = d.get("decimals")  # encoders saved before this did not round: their samples stay as they were
        enc.decimals = None if decimals is None else [int(k) for k in decimals]
        return enc


def _restore(values: np.ndarray, dtype: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(np.dtype(dtype)):
        return np.rint(values).astype(dtype)
    return values.astype(dtype)


def _round_columns(values: np.ndarray, decimals: list[int]) -> np.ndarray:
    """(n, T, V) values with channel j rounded to decimals[j] places, as the data was recorded."""
    return np.stack([np.round(values[:, :, j], places) for j, places in enumerate(decimals)], axis=2)
