"""Images and time series as tables: how their rows map to model inputs, and back.

Every model sees its data as a float matrix x of shape (n_items, output_dim) described by spans,
whatever the data kind, so every architecture can train on every kind:
- a **table** item is a row (`TabularEncoder`);
- an **image** item is a row of pixel columns (e.g. 784 for 28x28), scaled to [-1, 1], in
  row-major order: x.reshape(n, 1, H, W) gives the picture (`ImageEncoder`);
- a **sequence** item is one whole series: T steps x F value columns, scaled per column to
  [-1, 1], step-major: x.reshape(n, T, F) gives the series (`SequenceEncoder`). Sequences come
  in long format (one row per step: a key column, an index column, value columns, optional
  per-sequence label) or wide format (one row per sequence, one column per step).
Images and sequences keep their label outside x: it is the condition of conditional models and
comes back as a column only when the model was conditioned on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoder import Span, TabularEncoder, _level_key
from gen_models.data.errors import DataError
from gen_models.data.schema import TableSchema

KINDS = ("table", "images", "sequences")


@dataclass(frozen=True)
class DataLayout:
    """What one item of the data is. The defaults describe a plain table."""

    kind: str = "table"  # "table" | "images" | "sequences"
    image_shape: tuple[int, int] | None = None  # (height, width) for images
    label: str | None = None  # images / sequences: the label column (kept out of the pixels / values)
    sequence_key: str | None = None  # long sequences: the column naming each sequence
    sequence_index: str | None = None  # long sequences: the column ordering the steps
    wide: bool = False  # sequences: one row per sequence, one column per step

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DataError(f"Unknown data kind '{self.kind}'; choose one of {', '.join(KINDS)}.")
        if self.kind == "images" and self.image_shape is None:
            raise DataError("Image data needs its shape, e.g. 28x28.")
        if self.kind == "sequences" and not self.wide and not (self.sequence_key and self.sequence_index):
            raise DataError(
                "Time series in long format need a sequence key column and a sequence index column "
                "(or say the data is wide: one row per sequence)."
            )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["image_shape"] = list(self.image_shape) if self.image_shape else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataLayout:
        shape = d.get("image_shape")
        return cls(**{**d, "image_shape": tuple(shape) if shape else None})


def parse_image_shape(text: str) -> tuple[int, int]:
    """'28x28' -> (28, 28), with a clear error for anything else."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise DataError(f"An image shape looks like 28x28 (height x width), not '{text}'.")
    return int(parts[0]), int(parts[1])


class _LabelMixin:
    """Label handling shared by image and sequence encoders: levels, one-hots, condition columns."""

    label: str | None
    label_levels: list[Any]

    def levels(self, column: str) -> list:
        self._require_label(column)
        return list(self.label_levels)

    def one_hot(self, column: str, values: list) -> np.ndarray:
        """(len(values), n_levels) float32 one-hots of label values (text like "3" matches 3)."""
        levels = self.levels(column)
        index = {_level_key(level): i for i, level in enumerate(levels)}
        out = np.zeros((len(values), len(levels)), dtype=np.float32)
        for row, value in enumerate(values):
            i = index.get(_level_key(value))
            if i is None:
                valid = ", ".join(map(str, levels))
                raise DataError(f"'{value}' is not a value of column '{column}'. Valid values: {valid}.", column=column)
            out[row, i] = 1.0
        return out

    def _require_label(self, column: str) -> None:
        if column != self.label:
            raise DataError(
                f"Only the label column ('{self.label}') can be a condition here, not '{column}'."
                if self.label
                else "This data has no label column to condition on.",
                column=column,
            )

    def _labels_from_condition(self, condition: np.ndarray | None, n: int) -> pd.Series | None:
        if condition is None or self.label is None:
            return None
        picks = np.asarray(condition).reshape(n, -1).argmax(axis=1)
        values = [self.label_levels[i] for i in picks]
        return pd.Series(values, name=self.label).astype(self.label_dtype)


class ImageEncoder(_LabelMixin):
    """Pixel columns <-> (n, H*W) floats in [-1, 1]. One tanh span covers all pixels."""

    kind = "images"
    condition_in_rows = False

    def __init__(self, layout: DataLayout):
        self.layout = layout
        self.label = layout.label
        self.pixel_columns: list[str] = []
        self.low = 0.0
        self.high = 1.0
        self.pixel_dtype = "float64"
        self.label_levels: list[Any] = []
        self.label_dtype = "object"

    @property
    def shape(self) -> tuple[int, int]:
        assert self.layout.image_shape is not None
        return self.layout.image_shape

    def fit(self, df: pd.DataFrame) -> ImageEncoder:
        height, width = self.shape
        if self.label is not None and self.label not in df.columns:
            raise DataError(f"There is no label column '{self.label}'.", column=self.label)
        pixels = [c for c in df.columns if c != self.label]
        if len(pixels) != height * width:
            raise DataError(
                f"A {height}x{width} image needs {height * width} pixel columns, but the table has "
                f"{len(pixels)} columns besides the label. Check the image shape and the label column."
            )
        values = df[pixels]
        non_numeric = [c for c in pixels if not pd.api.types.is_numeric_dtype(values[c])]
        if non_numeric:
            raise DataError(f"Pixel column '{non_numeric[0]}' holds text, not numbers.", column=non_numeric[0])
        array = values.to_numpy(dtype=np.float64)
        if not np.isfinite(array).all():
            row, col = np.argwhere(~np.isfinite(array))[0]
            raise DataError(
                f"Pixel column '{pixels[col]}' is empty or infinite in row {row + 1}; images need every pixel.",
                column=pixels[col],
                row=int(row) + 1,
            )
        self.pixel_columns = list(map(str, pixels))
        self.low, self.high = float(array.min()), float(array.max())
        if self.high <= self.low:
            raise DataError("Every pixel has the same value: there is no picture to learn.")
        self.pixel_dtype = str(values.dtypes.iloc[0])
        if self.label is not None:
            self.label_levels = sorted(pd.unique(df[self.label].dropna()).tolist(), key=_sort_key)
            self.label_dtype = str(df[self.label].dtype)
        return self

    @property
    def spans(self) -> list[Span]:
        return [Span(column="pixels", role="value", start=0, width=len(self.pixel_columns), activation="tanh")]

    @property
    def output_dim(self) -> int:
        return len(self.pixel_columns)

    @property
    def columns(self) -> list[str]:
        return list(self.pixel_columns)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(n_images, H*W) float32 in [-1, 1]."""
        array = df[self.pixel_columns].to_numpy(dtype=np.float32)
        return np.clip(2 * (array - self.low) / (self.high - self.low) - 1, -1, 1).astype(np.float32)

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """(n_images, n_levels) one-hot labels."""
        return self.one_hot(column, df[column].tolist())

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame:
        """(n, H*W) in [-1, 1] -> pixel columns in the original range and dtype (+ label if conditioned)."""
        array = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        pixels = (np.clip(array, -1, 1) + 1) / 2 * (self.high - self.low) + self.low
        if pd.api.types.is_integer_dtype(np.dtype(self.pixel_dtype)):
            pixels = np.rint(pixels)
        frame = pd.DataFrame(pixels.astype(self.pixel_dtype), columns=self.pixel_columns)
        labels = self._labels_from_condition(condition, len(frame))
        if labels is not None:
            frame[self.label] = labels.to_numpy()
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "layout": self.layout.to_dict(),
            "pixel_columns": self.pixel_columns,
            "low": self.low,
            "high": self.high,
            "pixel_dtype": self.pixel_dtype,
            "label_levels": _json_levels(self.label_levels),
            "label_dtype": self.label_dtype,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageEncoder:
        enc = cls(DataLayout.from_dict(d["layout"]))
        enc.pixel_columns = list(d["pixel_columns"])
        enc.low, enc.high = float(d["low"]), float(d["high"])
        enc.pixel_dtype = d["pixel_dtype"]
        enc.label_levels = list(d["label_levels"])
        enc.label_dtype = d["label_dtype"]
        return enc


class SequenceEncoder(_LabelMixin):
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
            self.label_levels = sorted(pd.unique(per_sequence[self.label].dropna()).tolist(), key=_sort_key)
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
            "index_values": _json_levels(self.index_values),
            "index_dtype": self.index_dtype,
            "key_dtype": self.key_dtype,
            "value_dtypes": self.value_dtypes,
            "lows": self.lows,
            "highs": self.highs,
            "label_levels": _json_levels(self.label_levels),
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


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (1, str(value))


def _json_levels(values: list[Any]) -> list[Any]:
    """Plain Python scalars, so json.dumps works (numpy ints/floats -> int/float)."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def make_encoder(layout: DataLayout, schema: TableSchema, seed: int = 0) -> Any:
    """The encoder for a layout: TabularEncoder, ImageEncoder or SequenceEncoder (not yet fitted)."""
    if layout.kind == "images":
        return ImageEncoder(layout)
    if layout.kind == "sequences":
        return SequenceEncoder(layout)
    return TabularEncoder(schema, seed=seed)


def encoder_from_dict(d: dict[str, Any]) -> Any:
    kind = d.get("kind", "table")
    if kind == "images":
        return ImageEncoder.from_dict(d)
    if kind == "sequences":
        return SequenceEncoder.from_dict(d)
    return TabularEncoder.from_dict(d)
