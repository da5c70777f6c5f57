"""Images as pixel columns <-> (n, H*W) floats in [-1, 1], row-major: x.reshape(n, 1, H, W) is the picture."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gen_models.data.encoders.base import LabelMixin, Span, json_levels, sort_key
from gen_models.data.errors import DataError
from gen_models.data.layouts import DataLayout


class ImageEncoder(LabelMixin):
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
            self.label_levels = sorted(pd.unique(df[self.label].dropna()).tolist(), key=sort_key)
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
            "label_levels": json_levels(self.label_levels),
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
