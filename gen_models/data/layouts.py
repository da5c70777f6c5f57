"""Images and time series as tables: how their rows map to model inputs, and back.

Every model sees its data as a float matrix x of shape (n_items, output_dim) described by spans,
whatever the data kind, so every architecture can train on every kind:
- a **table** item is a row (`encoders.tabular`);
- an **image** item is a row of pixel columns (e.g. 784 for 28x28), scaled to [-1, 1], in
  row-major order: x.reshape(n, 1, H, W) gives the picture (`encoders.images`);
- a **sequence** item is one whole series: T steps x F value columns, scaled per column to
  [-1, 1], step-major: x.reshape(n, T, F) gives the series (`encoders.sequences`). Sequences come
  in long format (one row per step: a key column, an index column, value columns, optional
  per-sequence label) or wide format (one row per sequence, one column per step).
Images and sequences keep their label outside x: it is the condition of conditional models and
comes back as a column only when the model was conditioned on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gen_models.data.errors import DataError

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
        if self.kind == "sequences" and not self.wide and self.sequence_key == self.sequence_index:
            raise DataError(
                f"The series id and the step column must be two different columns, not both '{self.sequence_key}'."
            )
        if (
            self.kind == "sequences"
            and self.label is not None
            and self.label in (self.sequence_key, self.sequence_index)
        ):
            raise DataError(f"The label column '{self.label}' cannot also be the series id or the step column.")

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


def item_count(frame: Any, layout: DataLayout) -> int:
    """How many items a table holds under `layout`: rows, images, or whole series (long series: distinct ids).

    Training budgets count items, not rows: 67 series of 24 steps are 67 items, not 1,608.
    """
    if layout.kind == "sequences" and not layout.wide and layout.sequence_key in frame.columns:
        return int(frame[layout.sequence_key].nunique(dropna=False))
    return len(frame)
