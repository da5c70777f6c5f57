"""Time series <-> (n, T*F) floats, scaled per value column to [-1, 1], step-major: x.reshape(n, T, F).

Long format: one row per step (a key column, an index column, one or more value columns, an optional
per-sequence label); wide format: one row per sequence, one column per step.

Long series of different lengths (up to MAX_STEPS) are padded to the longest: a shorter series is read
as the first steps of the longest one's index, its padded steps repeat its last values (no jump for a
recurrent network to learn), and one more channel, last in each step, says whether the step is real
(+1) or padding (-1). Decoding cuts each series where that channel first falls to 0 or below (keeping
at least one step), so a model that generates the channel generates each series' length with it.

Static columns: a text column (other than the label) that holds one value per series, e.g. a station
name, is one more channel holding the series' level index (0..L-1, levels sorted as the label's) at every
step, so a sequence model generates it with the series. Decoding reads each series' level from its first
step (rounded to the nearest level, clipped to the range) and writes it on every row of the series.
Long data keeps static columns among its value columns (one channel each, in the frame's order); wide
data puts them after the step channels. A numeric column constant within each series needs nothing of
this: it is an ordinary channel.

Several channels in wide data: step columns named <channel><separator><step> (temperature_0 ..
temperature_23, humidity_0 .. humidity_23; separator "_", ".", "-", " " or none) are read as V channels x
T steps when every channel has the same step numbers; otherwise the step columns are one channel.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.base import LabelMixin, Span, json_levels, sort_key
from gen_models.data.encoders.tabular import decimal_places
from gen_models.data.errors import DataError
from gen_models.data.layouts import DataLayout

MAX_STEPS = 2000  # the longest series a model is built for: an LSTM over more steps would train for hours
# A wide step column's name: a channel name, an optional separator and the step number at the end.
WIDE_STEP_NAME = re.compile(r"^(.*?)[_.\- ]?(\d+)$")


class SequenceEncoder(LabelMixin):
    """Equal-length series <-> (n_sequences, T*F) floats in [-1, 1], step-major (reshape to (n, T, F))."""

    kind = "sequences"
    condition_in_rows = False

    def __init__(self, layout: DataLayout):
        self.layout = layout
        self.label = layout.label
        # long: the value columns, static ones included (one channel each); wide: the step columns, step-major
        # when there are several channels (column t * V + v is channel v at step t)
        self.value_columns: list[str] = []
        self.wide_channels: list[str] = []  # wide data of several channels: their names ([] = one channel)
        self.wide_steps: list[str] = []  # ... and their step numbers, as in the column names
        self.static_columns: list[str] = []  # text columns holding one value per series (see the module docstring)
        self.static_levels: list[list[Any]] = []  # per static column: its levels, sorted
        self.static_dtypes: list[str] = []
        self.column_order: list[str] = []  # the training frame's columns: decoded frames keep this order
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
        if self.layout.wide:
            return len(self.value_columns) // self._wide_value_channels
        return len(self.index_values)

    @property
    def _wide_value_channels(self) -> int:
        """Wide data: how many channels its step columns hold (1 unless named by channel and step)."""
        return max(1, len(self.wide_channels))

    @property
    def features(self) -> int:
        """Channels per step in the encoded rows: the value channels (static ones included), plus the mask
        channel when masked."""
        if self.layout.wide:
            return self._wide_value_channels + len(self.static_columns)
        return len(self.value_columns) + int(self.masked)

    @property
    def channel_names(self) -> list[str]:
        """The V value channels' names, in the encoded order (wide data of one channel: "value")."""
        if self.layout.wide:
            return [*(self.wide_channels or ["value"]), *self.static_columns]
        return list(self.value_columns)

    @property
    def step_names(self) -> list[str]:
        """The T steps' names: the index values (long), the step numbers or the step columns (wide)."""
        if self.layout.wide:
            return list(self.wide_steps) if self.wide_channels else list(self.value_columns)
        return [str(index) for index in self.index_values]

    def shape_words(self) -> str:
        """What one series is, in words: "24 steps", "24 steps × 2 channels", plus its static columns."""
        channels = len(self.channel_names) - len(self.static_columns)
        words = f"{self.steps} steps" + (f" × {channels} channels" if channels > 1 else "")
        if self.static_columns:
            words += ", with " + ", ".join(f"'{c}'" for c in self.static_columns) + " per series"
        return words

    def _static_channel(self, s: int) -> int:
        """The channel (0..V-1) holding static column s."""
        if self.layout.wide:
            return self._wide_value_channels + s
        return self.value_columns.index(self.static_columns[s])

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
            n = len(df)
            values = df[self.value_columns].to_numpy(dtype=np.float64).reshape(n, self.steps, -1)
            statics = [
                np.repeat(self._level_indices(df, s)[:, None, None], self.steps, axis=1)
                for s in range(len(self.static_columns))
            ]
            return np.concatenate([values, *statics], axis=2), np.full(n, self.steps), df
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
        flat = np.stack([self._channel(ordered, column) for column in self.value_columns], axis=1)
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

    def _channel(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """(len(df),) float64: a numeric column's values, or a static column's level indices."""
        if column in self.static_columns:
            return self._level_indices(df, self.static_columns.index(column))
        return df[column].to_numpy(dtype=np.float64)

    def _level_indices(self, df: pd.DataFrame, s: int) -> np.ndarray:
        """(len(df),) float64 level index of static column s in every row; unknown levels are refused."""
        column = self.static_columns[s]
        found = pd.Index(self.static_levels[s], dtype=object).get_indexer(df[column].astype(object))
        if (found < 0).any():
            unknown = df[column].to_numpy()[found < 0][0]
            raise DataError(f"Column '{column}' holds '{unknown}', which training did not see.", column=column)
        return found.astype(np.float64)

    def fit(self, df: pd.DataFrame) -> SequenceEncoder:
        layout = self.layout
        needed = [c for c in (layout.sequence_key, layout.sequence_index, layout.label) if c]
        for column in needed:
            if column not in df.columns:
                raise DataError(f"There is no column '{column}'.", column=column)
        others = [c for c in df.columns if c not in needed]
        self.column_order = list(map(str, df.columns))
        self.static_columns = [str(c) for c in others if not pd.api.types.is_numeric_dtype(df[c])]
        self._fit_static(df)
        numeric = [str(c) for c in others if str(c) not in self.static_columns]
        if not numeric:
            raise DataError("There is no value column besides the key, index and label.")
        if layout.wide:
            self.wide_channels, self.wide_steps, self.value_columns = _wide_grid(numeric) or ([], [], numeric)
        else:
            self.value_columns = list(map(str, others))  # static columns are channels too, in the frame's order
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
        places = [  # a static channel holds whole level indices
            0 if c in self.static_columns else decimal_places(df[c].to_numpy(dtype=np.float64), str(df[c].dtype))
            for c in self.value_columns
        ]
        if layout.wide:  # the step columns of a channel share its decimals; static channels come after
            per_step = np.array(places).reshape(self.steps, self._wide_value_channels)
            places = [*per_step.max(axis=0).tolist(), *[0] * len(self.static_columns)]
        self.decimals = places
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

    def _fit_static(self, df: pd.DataFrame) -> None:
        """Levels and dtypes of the static columns; a text column that changes within a series is refused."""
        self.static_levels, self.static_dtypes = [], []
        for column in self.static_columns:
            if df[column].isna().any():
                raise DataError(f"Column '{column}' has empty cells; fill them before training.", column=column)
            if not self.layout.wide and df.groupby(self.layout.sequence_key)[column].nunique().max() > 1:
                raise DataError(
                    f"Column '{column}' holds text that changes within a series; time-series values must be "
                    "numbers, and a text column must hold one value per series (as a label or a static column).",
                    column=column,
                )
            self.static_levels.append(sorted(pd.unique(df[column]).tolist(), key=sort_key))
            self.static_dtypes.append(str(df[column].dtype))

    def _static_values(self, values: np.ndarray, s: int) -> pd.Series:
        """(n, T, V) decoded values -> (n,) static column s: each series' level from its first step."""
        levels = self.static_levels[s]
        index = np.clip(np.rint(values[:, 0, self._static_channel(s)]), 0, len(levels) - 1).astype(int)
        return pd.Series(np.array(levels, dtype=object)[index]).astype(self.static_dtypes[s])

    def _in_training_order(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The decoded frame's columns in the training frame's order (encoders saved before kept theirs)."""
        known = [c for c in self.column_order if c in frame.columns]
        return frame[known + [c for c in frame.columns if c not in known]]

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
            encoded = [*self.value_columns, *self.static_columns]
        else:
            encoded = [layout.sequence_key, layout.sequence_index, *self.value_columns]
        known = [c for c in self.column_order if c in encoded]
        return known + [c for c in encoded if c not in known]

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
        statics = [self._static_values(values, s) for s in range(len(self.static_columns))]  # (n,) each
        if self.layout.wide:
            steps = values[:, :, : self._wide_value_channels].reshape(n, -1)  # step-major, as value_columns
            frame = pd.DataFrame(steps, columns=self.value_columns)
            for column, dtype in zip(self.value_columns, self.value_dtypes, strict=True):
                frame[column] = _restore(frame[column].to_numpy(), dtype)
            for column, static in zip(self.static_columns, statics, strict=True):
                frame[column] = static
            if labels is not None:
                frame[self.label] = labels.to_numpy()
            return self._in_training_order(frame)
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
            if column in self.static_columns:  # the series' level on each of its rows
                static = statics[self.static_columns.index(column)]
                frame[column] = static.iloc[np.repeat(np.arange(n), lengths)].reset_index(drop=True)
            else:
                frame[column] = _restore(flat[:, j], dtype)
        if labels is not None:
            frame[self.label] = np.repeat(labels.to_numpy(), lengths)
        return self._in_training_order(frame)

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
            "wide_channels": self.wide_channels,
            "wide_steps": self.wide_steps,
            "static_columns": self.static_columns,
            "static_levels": [json_levels(levels) for levels in self.static_levels],
            "static_dtypes": self.static_dtypes,
            "column_order": self.column_order,
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
        # Encoders saved before static columns and wide channels had neither, and kept their own column order.
        for name in ("wide_channels", "wide_steps", "static_columns", "static_dtypes", "column_order"):
            setattr(enc, name, list(d.get(name) or []))
        enc.static_levels = [list(levels) for levels in d.get("static_levels") or []]
        return enc


def _wide_grid(columns: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """Wide step columns named <channel><separator><step> -> (channel names, step numbers as text, the
    columns step-major: channel v of step t at t * V + v), or None unless they form two or more channels
    with the same step numbers each (then the columns are one channel, in their own order)."""
    steps: dict[str, dict[int, str]] = {}  # channel -> step number -> column, channels as they first appear
    for column in columns:
        found = WIDE_STEP_NAME.match(column)
        if found is None or not found.group(1):
            return None
        of_channel = steps.setdefault(found.group(1), {})
        if int(found.group(2)) in of_channel:  # "t_1" and "t.1": not one grid
            return None
        of_channel[int(found.group(2))] = column
    numbers = [sorted(of_channel) for of_channel in steps.values()]
    if len(steps) < 2 or any(n != numbers[0] for n in numbers):
        return None
    grid = [steps[channel][t] for t in numbers[0] for channel in steps]
    return list(steps), [str(t) for t in numbers[0]], grid


def _restore(values: np.ndarray, dtype: str) -> np.ndarray:
    if pd.api.types.is_integer_dtype(np.dtype(dtype)):
        return np.rint(values).astype(dtype)
    return values.astype(dtype)


def _round_columns(values: np.ndarray, decimals: list[int]) -> np.ndarray:
    """(n, T, V) values with channel j rounded to decimals[j] places, as the data was recorded."""
    return np.stack([np.round(values[:, :, j], places) for j, places in enumerate(decimals)], axis=2)
