"""Time series <-> (n, T*F) floats, scaled per value column to [-1, 1], step-major: x.reshape(n, T, F).

Long format: one row per step (a key column, an index column, value columns, an optional per-sequence
label); wide format: one row per sequence, one column per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.base import LabelMixin, Span, json_levels, sort_key
from gen_models.data.errors import DataError
from gen_models.data.layouts import DataLayout


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

    @property
    def steps(self) -> int:
        return len(self.value_columns) if self.layout.wide else len(self.index_values)

    @property
    def features(self) -> int:
        return 1 if self.layout.wide else len(self.value_columns)

    def _array(self, df: pd.DataFrame, fitting: bool) -> tuple[np.ndarray, pd.DataFrame]:
        """(n_sequences, T, F) raw values and one row per sequence (key, label), in key order."""
        layout = self.layout
        if layout.wide:
            values = df[self.value_columns].to_numpy(dtype=np.float64)[:, :, None]
            return values, df
        key, index = layout.sequence_key, layout.sequence_index
        ordered = df.sort_values([key, index], kind="stable")
        lengths = ordered.groupby(key, sort=False).size()
        if fitting and lengths.nunique() > 1:
            short = lengths.idxmin()
            raise DataError(
                f"Sequence '{short}' has {lengths.min()} steps but others have up to {lengths.max()}. "
                "All sequences must have the same length: pad or cut them first.",
                column=key,
            )
        steps = int(lengths.iloc[0])
        if not fitting and (lengths != len(self.index_values)).any():
            raise DataError(f"Every sequence must have {len(self.index_values)} steps.", column=key)
        values = ordered[self.value_columns].to_numpy(dtype=np.float64).reshape(len(lengths), steps, -1)
        per_sequence = ordered.groupby(key, sort=False).head(1)
        return values, per_sequence

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
            first_key = ordered[key].iloc[0]
            self.index_values = ordered.loc[ordered[key] == first_key, index].tolist()
            self.index_dtype = str(df[index].dtype)
            self.key_dtype = str(df[key].dtype)
        values, per_sequence = self._array(df, fitting=True)
        if not np.isfinite(values).all():
            raise DataError("The time series have empty or infinite values; fill them before training.")
        self.value_dtypes = [str(df[c].dtype) for c in self.value_columns]
        self.lows = values.min(axis=(0, 1)).tolist()
        self.highs = values.max(axis=(0, 1)).tolist()
        if self.label is not None:
            if not layout.wide and per_sequence.groupby(layout.sequence_key)[self.label].nunique().max() > 1:
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
        """(n_sequences, T*F) float32 in [-1, 1]."""
        values, _ = self._array(df, fitting=False)
        low, span = self._scale()
        scaled = 2 * (values - low) / span - 1
        return np.clip(scaled, -1, 1).reshape(len(values), -1).astype(np.float32)

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """(n_sequences, n_levels) one-hot labels, one per sequence in key order."""
        _, per_sequence = self._array(df, fitting=False)
        return self.one_hot(column, per_sequence[column].tolist())

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame:
        """(n, T*F) -> the original layout: long rows (key, index, values[, label]) or wide rows."""
        n = len(x)
        low, span = self._scale()
        values = (np.clip(np.asarray(x, dtype=np.float64).reshape(n, self.steps, self.features), -1, 1) + 1) / 2
        values = values * span + low
        labels = self._labels_from_condition(condition, n)
        if self.layout.wide:
            frame = pd.DataFrame(values[:, :, 0], columns=self.value_columns)
            for column, dtype in zip(self.value_columns, self.value_dtypes, strict=True):
                frame[column] = _restore(frame[column].to_numpy(), dtype)
            if labels is not None:
                frame[self.label] = labels.to_numpy()
            return frame
        layout = self.layout
        keys = np.repeat(np.arange(n), self.steps)
        key_values = (
            keys if pd.api.types.is_integer_dtype(np.dtype(self.key_dtype)) else [f"synthetic_{k}" for k in keys]
        )
        frame = pd.DataFrame({layout.sequence_key: key_values})
        frame[layout.sequence_index] = pd.Series(self.index_values * n).astype(self.index_dtype).to_numpy()
        flat = values.reshape(n * self.steps, self.features)
        for j, (column, dtype) in enumerate(zip(self.value_columns, self.value_dtypes, strict=True)):
            frame[column] = _restore(flat[:, j], dtype)
        if labels is not None:
            frame[self.label] = np.repeat(labels.to_numpy(), self.steps)
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
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SequenceEncoder:
        enc = cls(DataLayout.from_dict(d["layout"]))
        for name in ("value_columns", "index_values", "value_dtypes", "lows", "highs", "label_levels"):
            setattr(enc, name, list(d[name]))
        enc.index_dtype, enc.key_dtype, enc.label_dtype = d["index_dtype"], d["key_dtype"], d["label_dtype"]
        return enc


def _restore(values: np.ndarray, dtype: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(np.dtype(dtype)):
        return np.rint(values).astype(dtype)
    return values.astype(dtype)
