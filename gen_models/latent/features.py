"""A plain, differentiable view of table rows: standardised numbers and category probabilities.

A model's encoded rows (`TabularEncoder`: tanh values, Gaussian-mixture mode one-hots, category
one-hots) are good for training but awkward to reason about. `FeatureSpace` maps them, with
operations torch can differentiate, to the *plain* representation a person would use:

    features = [ (number - mean) / std  for each numeric column ]  +  [ category probabilities ]

- a numeric column's number is read back as the encoder would, except that the mode is averaged
  by its probability instead of taken by argmax (identical for real rows, whose modes are one-hot);
- a categorical column contributes its probability vector over its levels (one-hot for real rows).

The same space serves three purposes: the surrogate regressor reads it (`gen_models.latent.design`), a
search can move rows in it directly ("data space", the naive alternative to the latent space),
and distances to real rows are measured in it. Tables only: images and sequences have no columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gen_models.errors import ModelError


@dataclass(frozen=True)
class FeatureBlock:
    """One column's place in the feature vector: features [start, start + width)."""

    column: str
    kind: str  # "continuous" | "integer" | "datetime" | "categorical"
    start: int
    width: int
    levels: tuple = ()  # categorical: the levels, in the encoder's order (None = the empty level)


class FeatureSpace:
    """Maps encoded rows (n, data_dim) of a fitted table model to plain features (n, n_features).

    `center` and `scale` standardise each numeric column; they are learned from the real rows given
    to the constructor, so a real row's numeric features have mean 0 and std 1 over the data.
    """

    def __init__(self, encoder: object, real: pd.DataFrame):
        if getattr(encoder, "kind", None) != "table":
            raise ModelError("Designing rows works on tables; this model makes images or sequences.")
        spans: dict[str, dict[str, object]] = {}
        for span in encoder.spans:
            spans.setdefault(span.column, {})[span.role] = span
        self._numeric: list[tuple[str, dict, object, object]] = []  # (name, params, value span, mode span)
        self._categorical: dict[str, object] = {}  # name -> category span
        blocks, start = [], 0
        for entry in encoder.to_dict()["columns"]:
            name = entry["name"]
            if entry["type"] == "categorical":
                levels = tuple(encoder.levels(name))
                blocks.append(FeatureBlock(name, "categorical", start, len(levels), levels))
                self._categorical[name] = spans[name]["category"]
                start += len(levels)
            else:
                blocks.append(FeatureBlock(name, entry["kind"], start, 1))
                self._numeric.append((name, entry, spans[name]["value"], spans[name].get("mode")))
                start += 1
        self.blocks: list[FeatureBlock] = blocks
        self.width = start
        self._encoder = encoder
        numbers = self._raw_numbers(torch.from_numpy(encoder.transform(real)))
        self.center = numbers.mean(dim=0)
        std = numbers.std(dim=0) if len(real) > 1 else torch.ones_like(self.center)
        self.scale = torch.where(std > 0, std, torch.ones_like(std))
        self.minimum = numbers.min(dim=0).values  # observed range, in the encoder's units
        self.maximum = numbers.max(dim=0).values

    # ----- encoded rows -> features --------------------------------------------------------------
    def _raw_numbers(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n, data_dim) -> numbers (n, n_numeric) in the columns' units (datetimes: steps)."""
        columns = []
        for _, params, value_span, mode_span in self._numeric:
            value = x[:, value_span.start].clamp(-1.0, 1.0)
            if mode_span is not None:
                probs = x[:, mode_span.start : mode_span.start + mode_span.width]
                probs = probs / probs.sum(dim=1, keepdim=True).clamp_min(1e-8)
                means = torch.tensor(params["means"], dtype=x.dtype)
                stds = torch.tensor(params["stds"], dtype=x.dtype)
                # Each mode's reading of the value, averaged by how likely the mode is.
                number = (probs * (value[:, None] * 4 * stds + means)).sum(dim=1)
            else:
                number = (value + 1) / 2 * (params["maximum"] - params["minimum"]) + params["minimum"]
            columns.append(number)
        if not columns:
            return x.new_zeros(len(x), 0)
        return torch.stack(columns, dim=1)

    def from_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n, data_dim) -> features (n, width); differentiable in x."""
        standard = (self._raw_numbers(x) - self.center.to(x.dtype)) / self.scale.to(x.dtype)
        pieces, n_numeric = [], 0
        for block in self.blocks:
            if block.kind == "categorical":
                span = self._categorical[block.column]
                probs = x[:, span.start : span.start + span.width]
                pieces.append(probs / probs.sum(dim=1, keepdim=True).clamp_min(1e-8))
            else:
                pieces.append(standard[:, n_numeric : n_numeric + 1])
                n_numeric += 1
        return torch.cat(pieces, dim=1)

    def from_frame(self, rows: pd.DataFrame) -> torch.Tensor:
        """Rows of the table (the model's columns) -> features (n, width), float32."""
        return self.from_encoded(torch.from_numpy(self._encoder.transform(rows)))

    # ----- features -> rows ----------------------------------------------------------------------
    def to_frame(self, features: torch.Tensor | np.ndarray) -> pd.DataFrame:
        """Features (n, width) -> a table, *without* snapping numbers into the data's range.

        Numbers are un-standardised as they are (a search in feature space may well leave the
        data's range: that is what this shows); integer columns are rounded; a categorical column
        takes its most likely level. For rows in range, use the model's own decoder instead.
        """
        f = torch.as_tensor(features, dtype=torch.float64)
        data, n_numeric = {}, 0
        for block in self.blocks:
            piece = f[:, block.start : block.start + block.width]
            if block.kind == "categorical":
                data[block.column] = [block.levels[i] for i in piece.argmax(dim=1).tolist()]
                continue
            number = (piece[:, 0] * self.scale[n_numeric].double() + self.center[n_numeric].double()).numpy()
            n_numeric += 1
            if block.kind in ("integer", "datetime"):
                number = np.round(number)
            data[block.column] = number
        frame = pd.DataFrame(data)
        for block in self.blocks:
            if block.kind == "datetime":
                step_us = self._step_us(block.column)
                frame[block.column] = pd.to_datetime(frame[block.column] * step_us, unit="us")
        return frame

    def _step_us(self, column: str) -> int:
        return next(int(params.get("step_us", 1)) for name, params, _, _ in self._numeric if name == column)

    # ----- descriptions of a feature matrix ------------------------------------------------------
    def block(self, column: str) -> FeatureBlock:
        for block in self.blocks:
            if block.column == column:
                return block
        names = ", ".join(b.column for b in self.blocks)
        raise ModelError(f"The model has no column '{column}'. Its columns: {names}.")

    def numeric_index(self, column: str) -> int:
        """Position of a numeric column among the numeric columns (for center/scale/minimum/maximum)."""
        names = [name for name, _, _, _ in self._numeric]
        if column not in names:
            raise ModelError(f"Column '{column}' is not numeric.")
        return names.index(column)

    def without(self, column: str) -> torch.Tensor:
        """Boolean mask (width,) selecting every feature except `column`'s."""
        block = self.block(column)
        mask = torch.ones(self.width, dtype=torch.bool)
        mask[block.start : block.start + block.width] = False
        return mask

    def out_of_range(self, features: torch.Tensor) -> torch.Tensor:
        """(n,) bool: rows with any numeric feature outside the range seen in the real data."""
        bad = torch.zeros(len(features), dtype=torch.bool)
        n_numeric = 0
        for block in self.blocks:
            if block.kind == "categorical":
                continue
            number = features[:, block.start] * self.scale[n_numeric] + self.center[n_numeric]
            tolerance = 1e-3 * self.scale[n_numeric]  # rounding in the encoder is not "out of range"
            bad |= (number < self.minimum[n_numeric] - tolerance) | (number > self.maximum[n_numeric] + tolerance)
            n_numeric += 1
        return bad

    def between_levels(self, features: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
        """(n,) bool: rows where some categorical block is far from every one-hot level.

        The distance is Euclidean to the nearest one-hot vector; a real row is at 0, a 50/50
        mixture of two levels at about 0.71. `threshold` 0.5 flags clear in-betweens.
        """
        bad = torch.zeros(len(features), dtype=torch.bool)
        for block in self.blocks:
            if block.kind != "categorical":
                continue
            piece = features[:, block.start : block.start + block.width]
            nearest = torch.nn.functional.one_hot(piece.argmax(dim=1), block.width).to(piece.dtype)
            bad |= (piece - nearest).norm(dim=1) > threshold
        return bad
