"""CTGAN's training-by-sampling (Xu et al., 2019): a conditional vector naming one level of one categorical column.

A GAN trained on batches drawn at random sees a level held by 2% of the rows in 2% of them, and its critic
can ignore it: such levels fade from the samples. Training by sampling asks for every level instead. For each
row of a batch it picks a categorical column uniformly and a level of it with probability proportional to
log(1 + count): rare levels are asked for far more often than their rate, common ones a little less. The
generator receives that choice as a one-hot *conditional vector*, the critic compares its rows with real rows
that hold the chosen level, and a cross-entropy term makes the generated row's span for the column agree with
the level. At sampling time the levels are drawn at their real rates (count, not log), so rows come back at the
real rates too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import nn

from gen_models.data import Span
from gen_models.errors import CheckpointError


class LevelDraw(NamedTuple):
    """One conditional vector per row, and what it names."""

    vector: torch.Tensor  # (n, width) one-hot over all categorical levels: a single one per row
    column: torch.Tensor  # (n,) index of the chosen categorical column (0 .. n_columns - 1)
    level: torch.Tensor  # (n,) index of the chosen level within that column's span


class LevelSampler:
    """Conditional vectors over a table's categorical columns, and real rows that match them.

    spans: the encoder's category spans, one per categorical column, in row order. The conditional vector
        (width = the sum of their widths) has one block per span, in the same order, so block j is as
        wide as column j's category span (its levels, plus "empty" when the column had empty cells).
    counts: per span, how many real rows hold each of its levels: the sampler's whole saved state.
    rows: (n_rows, data_dim) encoded real rows, given only when training: the sampler then keeps, per column
        and level, the indices of the rows with that level (`matching_rows` draws from them).
    All draws are made on the CPU with the given generator (the global one when None).
    """

    def __init__(self, spans: Sequence[Span], counts: Sequence[Sequence[int]], rows: torch.Tensor | None = None):
        if len(counts) != len(spans) or any(len(c) != span.width for c, span in zip(counts, spans, strict=True)):
            raise ValueError("counts must give one count per level of each category span")
        self.spans = list(spans)
        self.counts = [[int(count) for count in column] for column in counts]
        widths = torch.tensor([span.width for span in self.spans])
        # Where each column's block starts in the conditional vector: (n_columns,).
        self.offsets = torch.cumsum(widths, dim=0) - widths
        self.width = int(widths.sum())
        padded = torch.zeros(len(self.spans), int(widths.max()), dtype=torch.float64)
        for j, column in enumerate(self.counts):
            padded[j, : len(column)] = torch.tensor(column, dtype=torch.float64)
        self._count_table = padded  # (n_columns, widest span); levels past a span's width count 0, so are never drawn
        self._row_index: torch.Tensor | None = None
        self._first_row: torch.Tensor | None = None
        if rows is not None:
            self._index_rows(rows)

    @classmethod
    def from_rows(cls, rows: torch.Tensor, spans: Sequence[Span]) -> LevelSampler:
        """A sampler for training on (n_rows, data_dim) encoded rows, whose category spans are one-hot."""
        counts = [rows[:, span.start : span.start + span.width].sum(dim=0).round().long().tolist() for span in spans]
        return cls(spans, counts, rows)

    def _index_rows(self, rows: torch.Tensor) -> None:
        """Sort the row indices by level, once per column, so a matching row is one random lookup away.

        `_row_index` (n_columns * n_rows,) holds, for column j, the indices of all rows ordered by their level
        of column j; the rows with level l of column j are the `_count_table[j, l]` entries from `_first_row[j, l]`.
        """
        n_rows = rows.shape[0]
        orders, firsts = [], []
        for j, span in enumerate(self.spans):
            levels = rows[:, span.start : span.start + span.width].argmax(dim=1).cpu()
            orders.append(torch.argsort(levels, stable=True))
            counts = self._count_table[j].long()
            firsts.append(j * n_rows + torch.cumsum(counts, dim=0) - counts)
        self._row_index = torch.cat(orders)
        self._first_row = torch.stack(firsts)

    # ----- drawing conditional vectors ------------------------------------------------------------
    def training_condition(self, n: int, generator: torch.Generator | None = None) -> LevelDraw:
        """n conditional vectors for training: a column uniformly, then a level with weight log(1 + count)."""
        return self._draw(n, torch.log1p(self._count_table), generator)

    def sampling_condition(self, n: int, generator: torch.Generator | None = None) -> LevelDraw:
        """n conditional vectors for sampling: a column uniformly, then a level at its real rate (weight count)."""
        return self._draw(n, self._count_table, generator)

    def _draw(self, n: int, weights: torch.Tensor, generator: torch.Generator | None) -> LevelDraw:
        """weights: (n_columns, widest span), each row's levels weighted within their column."""
        column = torch.randint(len(self.spans), (n,), generator=generator)
        level = torch.multinomial(weights[column], 1, generator=generator).squeeze(1)
        vector = torch.zeros(n, self.width)
        vector[torch.arange(n), self.offsets[column] + level] = 1.0
        return LevelDraw(vector, column, level)

    def matching_rows(self, draw: LevelDraw, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n,) indices of real rows holding each row's chosen level, drawn uniformly among those rows."""
        if self._row_index is None or self._first_row is None:
            raise RuntimeError("this sampler was built without rows: it can draw conditions, not real rows")
        first = self._first_row[draw.column, draw.level]
        count = self._count_table[draw.column, draw.level].long()
        offset = (torch.rand(len(first), generator=generator, dtype=torch.float64) * count).long()
        return self._row_index[first + torch.minimum(offset, count - 1)]

    # ----- the generator's extra loss ---------------------------------------------------------------
    def cross_entropy(self, raw: torch.Tensor, draw: LevelDraw) -> torch.Tensor:
        """Mean over the (n, data_dim) raw generator outputs of the cross-entropy between each row's logits
        for its chosen column and the chosen level: a scalar. (CTGAN's `_cond_loss`.)"""
        column, level = draw.column.to(raw.device), draw.level.to(raw.device)
        total = raw.new_zeros(())
        for j, span in enumerate(self.spans):
            chosen = column == j
            logits = raw[chosen, span.start : span.start + span.width]
            total = total + nn.functional.cross_entropy(logits, level[chosen], reduction="sum")
        return total / raw.shape[0]

    # ----- the saved state ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"columns": [span.column for span in self.spans], "counts": self.counts}

    @classmethod
    def from_dict(cls, state: Any, spans: Sequence[Span]) -> LevelSampler:
        """The sampler `to_dict` saved, checked against the encoder's category spans (CheckpointError if unfit)."""
        names = [span.column for span in spans]
        if not isinstance(state, dict) or state.get("columns") != names:
            raise CheckpointError(f"The saved level sampler does not list the categorical columns {names}.")
        counts = state.get("counts")
        fits = isinstance(counts, list) and len(counts) == len(spans)
        for column, span in zip(counts if fits else [], spans, strict=False):
            fits = fits and isinstance(column, list) and len(column) == span.width
            fits = fits and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in column)
            fits = fits and sum(column) > 0
        if not fits:
            raise CheckpointError("The saved level sampler's counts do not fit the categorical columns' levels.")
        return cls(spans, counts)
