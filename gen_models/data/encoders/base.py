"""What every encoder shares: the spans of an encoded row, the Encoder protocol, and label matching.

An encoder turns a DataFrame into a float matrix x of shape (n_items, output_dim) described by spans, and
back; `make_encoder` in this package picks the one for a data layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from gen_models.data.errors import DataError


@dataclass(frozen=True)
class Span:
    """A slice of the encoded row: columns [start, start + width) of the (n, output_dim) matrix.

    role: "value" | "mode" | "missing" | "category". activation: "tanh" | "softmax".
    """

    column: str
    role: str
    start: int
    width: int
    activation: str


class Encoder(Protocol):
    """Rows <-> (n_items, output_dim) floats. TabularEncoder, ImageEncoder and SequenceEncoder follow it."""

    kind: str

    @property
    def spans(self) -> list[Span]: ...

    @property
    def output_dim(self) -> int: ...

    @property
    def columns(self) -> list[str]: ...

    def fit(self, df: pd.DataFrame) -> Encoder: ...

    def transform(self, df: pd.DataFrame) -> np.ndarray: ...

    def inverse_transform(self, x: Any, clip: bool = True, condition: np.ndarray | None = None) -> pd.DataFrame: ...

    def levels(self, column: str) -> list: ...

    def one_hot(self, column: str, values: list) -> np.ndarray: ...

    def condition_matrix(self, df: pd.DataFrame, column: str) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


def level_key(value: object) -> str:
    """How a level is matched by one_hot_rows: True, "True" and "true" match; 3, 3.0 and "3" match."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<empty>"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    try:
        number = float(text)
    except ValueError:
        return "text:" + text
    return f"number:{number!r}" if np.isfinite(number) else "text:" + text


def one_hot_rows(levels: list, values: list, column: str) -> np.ndarray:
    """(len(values), len(levels)) float32 one-hot rows of `values` among `levels`.

    Values may be written as text ("3" for 3, "True" for True), as a command line gives them; None (or
    NaN) picks the "empty" level where there is one. A value that is no level raises DataError.
    """
    index = {level_key(level): i for i, level in enumerate(levels)}
    out = np.zeros((len(values), len(levels)), dtype=np.float32)
    for row, value in enumerate(values):
        i = index.get(level_key(value))
        if i is None:
            valid = ", ".join(str(level) for level in levels)
            raise DataError(f"'{value}' is not a value of column '{column}'. Valid values: {valid}.", column=column)
        out[row, i] = 1.0
    return out


class LabelMixin:
    """Label handling shared by image and sequence encoders: levels, one-hots, condition columns."""

    label: str | None
    label_levels: list[Any]

    def levels(self, column: str) -> list:
        self._require_label(column)
        return list(self.label_levels)

    def one_hot(self, column: str, values: list) -> np.ndarray:
        """(len(values), n_levels) float32 one-hots of label values (text like "3" matches 3)."""
        return one_hot_rows(self.levels(column), values, column)

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


def sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (1, str(value))


def json_levels(values: list[Any]) -> list[Any]:
    """Plain Python scalars, so json.dumps works (numpy ints/floats -> int/float)."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]
