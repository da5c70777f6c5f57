"""Autoregressive table model: a row is drawn one column at a time, each column given the ones before it.

After mostlyai-engine's TabularARGN. Each column is a sequence of tokens (`data.encoders.quantile`): a
categorical column's levels, a numeric or datetime column's quantile bins with a position inside the bin,
"empty" as a token of its own. A numeric column's bins are gathered into at most `groups` runs of about
equal training counts ("empty" is a group of its own; a categorical level is its own group). The network
predicts a column's group given the columns before it, and a tilt; the bin within the group follows the
training counts, tilted towards the group's top or bottom, and the position within the bin is uniform. So
dependence between columns is learned at the resolution of the groups, where a few hundred rows already
suffice, while every column keeps its exact shape (spikes, integers, the precision of the data).

The network (`ColumnHeads`): per column j an embedding of its group and, for a numeric column, its rank
((bin + position) / bins); a head per column, a one-hidden-layer MLP over the concatenated inputs of the
columns before j in the column order (the rest masked out), gives logits over column j's groups. Training
is teacher-forced: one pass gives every column's conditional, trained with cross-entropy. With the default
`epochs=None` it runs for about `auto_steps` steps but at most `max_epochs` epochs, so small tables get
more epochs but are not learnt by heart; with `validation_share` above 0 a share of the rows is held out
instead and training stops once their loss has not improved for `patience` epochs, keeping the best weights.

Sampling walks the columns in order (n_columns passes). Column j is drawn by inverting its conditional
CDF at a uniform u_j: the group is the CDF interval [F_{g-1}, F_g) that u_j falls in, and the rest of
u_j, (u_j - F_{g-1}) / p_g, picks the bin inside the group the same way and then the position inside the
bin: an exact inverse transform. The u's are the latent codes, one per column ("u_<column>", uniform on
[0, 1]): the column's quantile among rows like this one so far. `encode` maps a real row to its u's, and
decoding those gives the row back. `sample(fixed=...)` fixes some columns and fills in the rest.

Column order: a condition column first, then the categorical columns with the fewest levels first, then
the numeric ones in table order (`order="categories_first"`); `order="table"` keeps the table's order,
and `order="random"` trains over random orders so that any set of columns can be fixed.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.data.encoders.quantile import MAX_POSITION, QuantileEncoder
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import TableSchema
from gen_models.errors import ModelError
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.training import TrainConfig
from gen_models.training.config import check_choice, check_number, check_whole

ORDERS = ("categories_first", "table", "random")
# Filling in the categories before a fixed column weighs every combination of their levels: at most this many.
MAX_COMBINATIONS = 100_000
# A u this close below an interval's start counts as inside it: float64 rounding, far below any real width.
CDF_TOLERANCE = 1e-9


@dataclass
class AutoregressiveConfig(TrainConfig):
    # With epochs=None: enough epochs for about 1,500 steps, but at most 60, so that a small table is not learnt
    # by heart (bench_autoregressive measures generated rows as far from the training rows as real hold-out rows).
    auto_steps: int = 1500
    max_epochs: int | None = 60
    batch_size: int = 64
    order: str = "categories_first"  # "categories_first" | "table" | "random" (see the module docstring)
    groups: int = 20  # the most groups a numeric column's bins are gathered into: what the network predicts
    rows_per_group: int = 30  # ... and about this many training values a group, so small tables get fewer
    embedding_dim: int = 16  # the widest column embedding; columns with few groups get narrower ones
    hidden: int = 64  # width of each column's head
    dropout: float = 0.3
    lr: float = 3e-3
    weight_decay: float = 1e-5
    max_bins: int = 100  # quantile bins of a numeric column (fewer for small tables: see rows_per_bin)
    rows_per_bin: int = 10  # a numeric column gets about one bin per this many values
    # Early stopping, off by default: with epochs=None and a share above 0, that share of the rows is held out and
    # training stops once their loss has not improved for `patience` epochs (it stops well before the quality
    # score peaks, see bench_autoregressive).
    validation_share: float = 0.0
    patience: int = 20

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("order", self.order, ORDERS)
        check_whole("groups", self.groups, 1)
        check_whole("rows_per_group", self.rows_per_group, 1)
        check_whole("embedding_dim", self.embedding_dim, 1)
        check_whole("hidden", self.hidden, 1)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("weight_decay", self.weight_decay, 0)
        check_whole("max_bins", self.max_bins, 2)
        check_whole("rows_per_bin", self.rows_per_bin, 1)
        check_number("validation_share", self.validation_share, 0, 0.5)
        check_whole("patience", self.patience, 1)


def embedding_width(n_tokens: int, widest: int) -> int:
    """Width of a column's embedding: grows with its number of tokens (fastai's rule), capped at `widest`."""
    return max(1, min(widest, round(1.6 * n_tokens**0.56)))


def bin_groups(counts: list[int], n_groups: int) -> np.ndarray:
    """(k,) group of each of k bins (in value order) with these training counts: runs of about equal count.

    A bin goes to group floor(n_groups * (count before it + half its own) / total), renumbered 0, 1, ...;
    a bin holding two groups' share or more (a spike) ends up in a group of its own.
    """
    counts_array = np.asarray(counts, dtype=np.float64)
    middle = np.cumsum(counts_array) - counts_array / 2
    raw = np.floor(n_groups * middle / counts_array.sum()).astype(np.int64)
    return np.unique(raw, return_inverse=True)[1]


@dataclass
class TokenTables:
    """Every column's tokens and their groups, as (n_columns, most_tokens) or (n_columns, most_groups) tensors.

    group: each token's group (-1 on padding); log_within: log p(token | its group) from the training counts
    (float64); mid: where a token sits in its group by those counts, from -0.5 (its bottom) to 0.5 (its top);
    first / size: each group's first token and number of tokens (a group's tokens are consecutive); width:
    the most tokens in any group. The network tilts p(token | group) by exp(slope * mid), with a slope per
    row and column, so that a number can still lean towards the top or bottom of its group.
    """

    group: torch.Tensor
    log_within: torch.Tensor
    mid: torch.Tensor
    first: torch.Tensor
    size: torch.Tensor
    n_groups: list[int]
    width: int

    @classmethod
    def of(cls, columns: list[tuple[list[int], np.ndarray]]) -> TokenTables:
        """From each column's (n_tokens,) training counts and groups (consecutive tokens share a group)."""
        most = max(len(counts) for counts, _ in columns)
        n_groups = [int(groups.max()) + 1 for _, groups in columns]
        group = torch.full((len(columns), most), -1, dtype=torch.long)
        log_within = torch.zeros(len(columns), most, dtype=torch.float64)
        mid = torch.zeros(len(columns), most, dtype=torch.float64)
        first = torch.zeros(len(columns), max(n_groups), dtype=torch.long)
        size = torch.zeros(len(columns), max(n_groups), dtype=torch.long)
        for j, (counts, groups) in enumerate(columns):
            counts_array = np.asarray(counts, dtype=np.float64)
            within = counts_array / np.bincount(groups, weights=counts_array)[groups]
            cumulative = np.cumsum(within)
            start = np.searchsorted(groups, groups)  # the first token of each token's group
            below = cumulative - within - np.where(start > 0, cumulative[start - 1], 0.0)
            k = len(counts)
            group[j, :k] = torch.as_tensor(groups)
            log_within[j, :k] = torch.as_tensor(np.log(within))
            mid[j, :k] = torch.as_tensor(below + within / 2 - 0.5)
            first[j, : n_groups[j]] = torch.as_tensor(np.searchsorted(groups, np.arange(n_groups[j])))
            size[j, : n_groups[j]] = torch.as_tensor(np.bincount(groups))
        return cls(group, log_within, mid, first, size, n_groups, int(size.max()))

    def to(self, device: torch.device) -> TokenTables:
        moved = [tensor.to(device) for tensor in (self.group, self.log_within, self.mid, self.first, self.size)]
        return TokenTables(*moved, self.n_groups, self.width)

    def within(
        self, groups: torch.Tensor, slopes: torch.Tensor, columns: list[int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The tokens of each row's group and log p(token | group, slope), for k columns.

        groups, slopes: (B, k) -> tokens (B, k, width), long, and their log-probabilities (B, k, width),
        float64, -inf past the group's own tokens. A group's tokens come in order, so index i here is the
        group's i-th token.
        """
        index = torch.tensor(columns, device=groups.device)[None, :]
        first, size = self.first[index, groups], self.size[index, groups]
        offsets = torch.arange(self.width, device=groups.device)
        tokens = (first[:, :, None] + offsets).clamp_max(self.group.shape[1] - 1)
        tilted = (
            self.log_within[index[:, :, None], tokens]
            + slopes.double()[:, :, None] * self.mid[index[:, :, None], tokens]
        )
        tilted = tilted.masked_fill(offsets >= size[:, :, None], float("-inf"))
        return tokens, torch.log_softmax(tilted, dim=2)


class ColumnHeads(nn.Module):
    """Per column j an embedding of its group (+ its rank, numeric columns) and a head over the columns before j.

    forward: groups (B, n) long, ranks (B, n_ranked) float and before (B or 1, n, n) bool, before[b, j, i] =
    "column i comes before column j" -> (logits (B, n, most_groups), -inf past each column's own groups;
    slopes (B, n), the tilt inside the group, see TokenTables). With `order_inputs` the heads also read the
    mask itself, so one network serves every order.
    """

    def __init__(
        self, group_counts: list[int], ranked: list[int], widest: int, hidden: int, dropout: float, order_inputs: bool
    ):
        super().__init__()
        n = len(group_counts)
        widths = [embedding_width(count, widest) for count in group_counts]
        self.embeddings = nn.ModuleList(
            nn.Embedding(count, width) for count, width in zip(group_counts, widths, strict=True)
        )
        self.order_inputs = order_inputs
        owner = torch.tensor([j for j, width in enumerate(widths) for _ in range(width)] + ranked, dtype=torch.long)
        self.register_buffer("owner", owner, persistent=False)  # (D,) the column of each input feature
        inputs = len(owner) + (n if order_inputs else 0)
        most = max(group_counts)
        valid = torch.arange(most)[None, :] < torch.tensor(group_counts)[:, None]
        self.register_buffer("valid", valid, persistent=False)  # (n, most_groups)
        bound1, bound2 = 1 / math.sqrt(inputs), 1 / math.sqrt(hidden)
        self.w1 = nn.Parameter(torch.empty(n, inputs, hidden).uniform_(-bound1, bound1))
        self.b1 = nn.Parameter(torch.empty(n, hidden).uniform_(-bound1, bound1))
        self.w2 = nn.Parameter(torch.empty(n, hidden, most + 1).uniform_(-bound2, bound2))  # + the slope
        self.b2 = nn.Parameter(torch.zeros(n, most + 1))
        self.dropout = nn.Dropout(dropout)

    def embed(self, groups: torch.Tensor, ranks: torch.Tensor) -> torch.Tensor:
        """(B, n) groups and (B, n_ranked) ranks -> (B, D): every column's embedding, then the ranks."""
        pieces = [embedding(groups[:, j]) for j, embedding in enumerate(self.embeddings)]
        return torch.cat([*pieces, ranks], dim=1)

    def forward(
        self, groups: torch.Tensor, ranks: torch.Tensor, before: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        shown = self.embed(groups, ranks)[:, None, :] * before[:, :, self.owner].to(ranks.dtype)  # (B, n, D)
        if self.order_inputs:
            shown = torch.cat([shown, before.to(ranks.dtype).expand(len(groups), -1, -1)], dim=2)
        hidden = torch.relu(torch.einsum("bji,jih->bjh", shown, self.w1) + self.b1)
        out = torch.einsum("bjh,jhv->bjv", self.dropout(hidden), self.w2) + self.b2
        return out[:, :, :-1].masked_fill(~self.valid, float("-inf")), out[:, :, -1]

    def column_logits(
        self, groups: torch.Tensor, ranks: torch.Tensor, before: torch.Tensor, j: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Column j's logits (B, most_groups) and slopes (B,): `forward(...)` at j, computing only head j."""
        known = before[0, j]
        shown = self.embed(groups, ranks) * known[self.owner].to(ranks.dtype)
        if self.order_inputs:
            shown = torch.cat([shown, known.to(ranks.dtype).expand(len(groups), -1)], dim=1)
        hidden = torch.relu(shown @ self.w1[j] + self.b1[j])
        out = hidden @ self.w2[j] + self.b2[j]
        return out[:, :-1].masked_fill(~self.valid[j], float("-inf")), out[:, -1]


class Autoregressive(GenerativeModel):
    name = "autoregressive"
    description = MODEL_DESCRIPTIONS["autoregressive"]
    Config = AutoregressiveConfig
    config: AutoregressiveConfig
    supports_condition = True
    has_encoder = True
    data_kinds = ("table",)

    def make_encoder(self, layout: DataLayout, schema: TableSchema) -> QuantileEncoder:
        return QuantileEncoder(schema, max_bins=self.config.max_bins, rows_per_bin=self.config.rows_per_bin)

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        encoder = self.encoder
        assert isinstance(encoder, QuantileEncoder)
        columns = []
        for name, n_tokens in zip(encoder.columns, encoder.token_counts, strict=True):
            if encoder.is_categorical(name):
                columns.append(([1] * n_tokens, np.arange(n_tokens)))
                continue
            counts, empty = encoder.bin_counts(name)
            groups = bin_groups(counts, min(cfg.groups, len(counts), max(2, sum(counts) // cfg.rows_per_group)))
            if empty:  # "empty" is a group of its own
                counts, groups = [*counts, empty], np.append(groups, groups.max() + 1)
            columns.append((counts, groups))
        with torch.device("cpu"):  # plain look-up tables, even when from_state first builds on the meta device
            self.tables = TokenTables.of(columns)
        self.ranked = [j for j, name in enumerate(encoder.columns) if not encoder.is_categorical(name)]
        self.n_tokens = torch.tensor(encoder.token_counts, dtype=torch.float32)
        group_counts = self.tables.n_groups
        self.networks["heads"] = ColumnHeads(
            group_counts, self.ranked, cfg.embedding_dim, cfg.hidden, cfg.dropout, cfg.order == "random"
        )
        self.order = self._column_order()
        self.opt = torch.optim.AdamW(self.networks.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self._validation: torch.Tensor | None = None
        self._best: tuple[float, int, dict[str, torch.Tensor]] | None = None

    @property
    def net(self) -> ColumnHeads:
        return self.networks["heads"]

    # ----- the column order ----------------------------------------------------------------------
    def _column_order(self) -> list[int]:
        """Column indices (encoder order) in the order rows are drawn: the condition column first."""
        encoder = self.encoder
        columns = encoder.columns
        indices = list(range(len(columns)))
        if self.config.order != "table":
            levels = {j: len(encoder.levels(columns[j])) for j in indices if encoder.is_categorical(columns[j])}
            indices = sorted(levels, key=lambda j: (levels[j], j)) + [j for j in indices if j not in levels]
        if self.condition_column is not None:
            first = columns.index(self.condition_column)
            indices = [first] + [j for j in indices if j != first]
        return indices

    def _before(self, order: list[int], device: torch.device) -> torch.Tensor:
        """(1, n, n) bool: [0, j, i] = column i comes before column j in `order`."""
        position = torch.empty(len(order), dtype=torch.long)
        position[torch.tensor(order)] = torch.arange(len(order))
        return (position[None, :] < position[:, None]).unsqueeze(0).to(device)

    def _random_before(self, batch: int, device: torch.device) -> torch.Tensor:
        """(batch, n, n) bool masks of one random order per row (torch's seeded global generator)."""
        position = torch.rand(batch, len(self.order)).argsort(dim=1).argsort(dim=1).to(device)
        return position[:, None, :] < position[:, :, None]

    def _tables_on(self, device: torch.device) -> TokenTables:
        """The look-up tables on `device`: moved there at the first batch and kept, not copied at every batch."""
        if self.tables.group.device != device:
            self.tables = self.tables.to(device)
        return self.tables

    # ----- encoded rows as the network sees them -------------------------------------------------
    def _groups_and_ranks(self, tokens: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, n) tokens and positions -> (B, n) groups and (B, n_ranked) ranks in [0, 1]."""
        groups = self._tables_on(tokens.device).group.gather(1, tokens.T).T
        ranked = self.ranked
        ranks = (tokens[:, ranked] + positions[:, ranked]).float() / self.n_tokens[ranked].to(tokens.device)
        return groups, ranks

    def _log_probs(self, x: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
        """(n, 2 * n_columns) encoded rows -> (n, n_columns) log-probability of each column's token, in nats:
        log p(group | the columns before) + log p(token | group, the columns before)."""
        tokens, positions = x[:, 0::2].long(), x[:, 1::2]
        groups, ranks = self._groups_and_ranks(tokens, positions)
        logits, slopes = self.net(groups, ranks, before)
        log_group = torch.log_softmax(logits, dim=2).gather(2, groups[:, :, None]).squeeze(2)
        tables = self._tables_on(x.device)
        _, log_within = tables.within(groups, slopes, list(range(tokens.shape[1])))
        inside = tokens - tables.first[torch.arange(tokens.shape[1], device=x.device)[None, :], groups]
        log_token = log_within.gather(2, inside[:, :, None]).squeeze(2)
        return log_group + log_token.to(log_group.dtype)

    def _nll(self, x: torch.Tensor, before: torch.Tensor) -> torch.Tensor:
        """(n, 2 * n_columns) encoded rows -> (n,) negative log-likelihood of each row, in nats."""
        return -self._log_probs(x, before).sum(dim=1)

    # ----- training ------------------------------------------------------------------------------
    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        if self.config.order == "random":
            before = self._random_before(len(x), x.device)
        else:
            before = self._before(self.order, x.device)
        loss = self._nll(x, before).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.item()}

    def split_validation(self, x: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """With epochs=None, keep `validation_share` of the rows (a seeded choice) back for early stopping."""
        n_held = round(self.config.validation_share * len(x))
        if self.config.epochs is not None or n_held < 1 or len(x) - n_held < 1:
            return x, c
        shuffled = torch.randperm(len(x), generator=torch.Generator().manual_seed(self.config.seed)).to(x.device)
        held, kept = shuffled[:n_held], shuffled[n_held:]
        self._validation = x[held]
        return x[kept], None if c is None else c[kept]

    @torch.no_grad()
    def validation_loss(self) -> float | None:
        """Mean negative log-likelihood per held-out row (nats), in the sampling order; None without a split."""
        if self._validation is None:
            return None
        with self._eval_mode():
            return float(self._nll(self._validation, self._before(self.order, self._validation.device)).mean())

    def end_epoch(self, epoch: int, epochs: int) -> str | None:
        loss = self.validation_loss()
        if loss is None:
            return None
        if self._best is None or loss < self._best[0] - 1e-4:
            self._best = (loss, epoch, copy.deepcopy(self.networks.state_dict()))
        best_loss, best_epoch, best_state = self._best
        if epoch - best_epoch < self.config.patience and epoch < epochs:
            return None
        self.networks.load_state_dict(best_state)
        held = len(self._validation)
        if epoch == epochs:
            return (
                f"Trained {epochs} epochs and kept the weights of epoch {best_epoch}, the best on "
                f"{held} held-out rows (loss {best_loss:.3f})."
            )
        return (
            f"Stopped at epoch {epoch}: the loss on {held} held-out rows had not improved for "
            f"{self.config.patience} epochs. Kept the weights of epoch {best_epoch} (loss {best_loss:.3f})."
        )

    # ----- latent codes --------------------------------------------------------------------------
    def _coded(self) -> list[int]:
        """Column indices that have a code, in the column order: all but the condition column."""
        columns = self.encoder.columns
        return [j for j in self.order if columns[j] != self.condition_column]

    def latent_codes(self) -> list[LatentCode]:
        columns = self.encoder.columns
        codes = []
        for j in self._coded():
            name = columns[j]
            if self.encoder.is_categorical(name):
                levels = ", ".join("empty" if level is None else str(level) for level in self.encoder.levels(name))
                meaning = (
                    f"which value of {name} among rows like this one so far: [0, 1] is split between its "
                    f"values ({levels}) by how likely each is"
                )
            else:
                meaning = (
                    f"{name}'s quantile among rows like this one so far: 0 = the lowest value it takes given "
                    f"the columns before it, 1 = the highest"
                )
                if self.encoder.bin_counts(name)[1]:
                    meaning += " (the top of the range, as wide as its chance of being empty, gives an empty cell)"
            codes.append(LatentCode(f"u_{name}", "continuous", meaning, low=0.0, high=1.0, prior="uniform"))
        return codes

    # ----- sampling ------------------------------------------------------------------------------
    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """u's (n, n_codes) in [0, 1] [+ one-hot conditions (n, n_levels)] -> encoded rows (n, 2 * n_columns).

        Deterministic: the u's decide every draw (float64 u's give back encoded rows exactly).
        """
        u = torch.zeros(len(z), len(self.encoder.columns), dtype=z.dtype, device=z.device)
        u[:, self._coded()] = z.clamp(0.0, 1.0)  # a search or added noise may step outside the codes' range
        fixed = {}
        if c is not None:
            fixed[self.encoder.columns.index(self.condition_column)] = (c.argmax(dim=1), torch.full((len(z),), 0.5))
        return self._walk(u, fixed)

    def _walk(self, u: torch.Tensor, fixed: dict[int, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """Draw every column not in `fixed` ({index: (n,) tokens and positions}) from its u in u (n, n_columns).

        Fixed columns come first, then the others in the column order. -> encoded rows (n, 2 * n_columns),
        float64 when u is, else float32.
        """
        n, device = len(u), u.device
        order = [j for j in self.order if j in fixed] + [j for j in self.order if j not in fixed]
        before = self._before(order, device)
        tables = self._tables_on(device)
        tokens = torch.zeros(n, len(order), dtype=torch.long, device=device)
        positions = torch.zeros(n, len(order), dtype=torch.float64, device=device)
        with torch.no_grad():
            for j in order:
                if j in fixed:
                    tokens[:, j] = torch.as_tensor(fixed[j][0], dtype=torch.long, device=device)
                    positions[:, j] = torch.as_tensor(fixed[j][1], dtype=torch.float64, device=device)
                    continue
                groups, ranks = self._groups_and_ranks(tokens, positions)
                logits, slopes = self.net.column_logits(groups, ranks, before, j)
                probs = torch.softmax(logits.double(), dim=1)
                group, rest = inverse_cdf(probs, u[:, j].double())
                candidates, log_within = tables.within(group[:, None], slopes[:, None], [j])
                inside, positions[:, j] = inverse_cdf(log_within[:, 0].exp(), rest)
                tokens[:, j] = candidates[:, 0].gather(1, inside[:, None]).squeeze(1)
        rows = torch.stack([tokens.to(torch.float64), positions], dim=2).reshape(n, -1)
        return rows.to(torch.float64 if u.dtype == torch.float64 else torch.float32)

    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n, 2 * n_columns) -> their u's (n, n_codes), float64.

        u = F(groups before) + p(group) * (p(tokens before, within the group) + p(token | group) * position).
        """
        tokens, positions = x[:, 0::2].long(), x[:, 1::2].double()
        groups, ranks = self._groups_and_ranks(tokens, x[:, 1::2])
        logits, slopes = self.net(groups, ranks, self._before(self.order, x.device))
        tables = self._tables_on(x.device)
        _, log_within = tables.within(groups, slopes, list(range(tokens.shape[1])))
        inside = tokens - tables.first[torch.arange(tokens.shape[1], device=x.device)[None, :], groups]
        group_below, group_p = cdf_interval(torch.softmax(logits.double(), dim=2), groups)
        token_below, token_p = cdf_interval(log_within.exp(), inside)
        u = group_below + group_p * (token_below + token_p * positions)
        return u[:, self._coded()]

    def sample(
        self,
        n: int,
        codes: dict[str, Any] | None = None,
        condition: Any = None,
        seed: int | None = None,
        fixed: dict[str, Any] | None = None,
        directions: dict[str, float] | None = None,
    ) -> pd.DataFrame:
        """n rows; `fixed` ({column: value}) sets some columns and the model fills in the rest to suit them.

        The columns after the fixed ones in the column order are drawn given them. Those before the last fixed
        one are drawn from their exact posterior given the fixed values, which takes every one of them to be a
        category (up to MAX_COMBINATIONS combinations of their levels); with order="random" any columns can
        be fixed. A fixed condition column is the same as `condition`.
        """
        if not fixed:
            return super().sample(n, codes, condition, seed, directions=directions)
        encoder = self._require_fitted()
        if n < 1:
            raise ModelError(f"The number of rows must be at least 1 (got {n}).")
        fixed = dict(fixed)
        if condition is not None:
            if self.condition_column is None:
                raise ModelError(f"This {self.name} model was trained without a condition column.")
            if self.condition_column in fixed and str(fixed[self.condition_column]) != str(condition):
                raise ModelError(
                    f"'{self.condition_column}' is fixed to {fixed[self.condition_column]!r} "
                    f"and conditioned on {condition!r}."
                )
            fixed[self.condition_column] = condition
        chosen = self._fixed_tokens(n, fixed, codes or {})
        generator = torch.Generator()
        generator.manual_seed(int(seed) if seed is not None else int(torch.seed() % 2**63))
        # A u for every column: the codes', and one for a condition column (it has no code) in case it is filled in.
        u = torch.rand(n, len(encoder.columns), generator=generator).to(self.device)
        u[:, self._coded()] = self.move_along(self.draw_latent(n, codes, generator), directions, codes).to(self.device)
        with self._eval_mode():
            if self.config.order != "random":
                chosen.update(self._posterior_before(chosen, u))
            rows = encoder.inverse_transform(self._walk(u, chosen).cpu().numpy())
        for name, value in fixed.items():
            # A fixed number as given: decoding reads it back exactly on a grid (whole numbers, dates, a
            # few decimals), but a full-precision one only to within float32 of it.
            if self.schema.column(name).kind == "continuous" and str(value).strip() and not pd.isna(value):
                rows[name] = pd.Series([float(value)] * n).astype(rows[name].dtype)
        return rows

    def _fixed_tokens(self, n: int, fixed: dict[str, Any], codes: dict[str, Any]) -> dict[int, tuple]:
        """{column index: (n,) tokens and (n,) positions} of the fixed values."""
        columns = self.encoder.columns
        unknown = [name for name in fixed if name not in columns]
        if unknown:
            raise ModelError(f"There is no column {unknown[0]!r} to fix. The columns are: {', '.join(columns)}.")
        coded = [name for name in fixed if f"u_{name}" in codes]
        if coded:
            raise ModelError(f"'{coded[0]}' is fixed, so its code 'u_{coded[0]}' has nothing to choose.")
        result = {}
        for name, value in fixed.items():
            tokens, positions = self.encoder.encode_values(name, [value])
            result[columns.index(name)] = (
                torch.as_tensor(tokens, dtype=torch.long).repeat(n),
                torch.as_tensor(positions, dtype=torch.float64).repeat(n),
            )
        return result

    def _posterior_before(self, fixed: dict[int, tuple], u: torch.Tensor) -> dict[int, tuple]:
        """The columns before the last fixed one, drawn from their posterior given the fixed values.

        Every combination of their levels is scored by the model (the joint probability of the columns up
        to the last fixed one); then each column, in the column order, is drawn from its share of that table
        given the ones already drawn, at its own u. -> {column index: (n,) tokens and positions}.
        """
        columns, n = self.encoder.columns, len(u)
        last = max(self.order.index(j) for j in fixed)
        free = [j for j in self.order[:last] if j not in fixed]
        if not free:
            return {}
        numbers = [columns[j] for j in free if not self.encoder.is_categorical(columns[j])]
        if numbers:
            raise ModelError(
                f"This model draws its columns in the order {', '.join(columns[j] for j in self.order)}. It can "
                f"fix '{columns[self.order[last]]}' only with every column before it fixed too or a category; "
                f"{', '.join(map(repr, numbers))} come before it. Fix those too, or train with order='random' "
                "to fix any columns."
            )
        sizes = [self.encoder.token_counts[j] for j in free]
        if math.prod(sizes) > MAX_COMBINATIONS:
            raise ModelError(
                f"The {len(free)} categories before '{columns[self.order[last]]}' have {math.prod(sizes):,} "
                f"combinations of levels, more than the {MAX_COMBINATIONS:,} this model weighs to fill them in. "
                "Fix some of them too, or train with order='random'."
            )
        grid = torch.cartesian_prod(*[torch.arange(size) for size in sizes]).reshape(-1, len(free)).to(u.device)
        x = torch.full((len(grid), 2 * len(columns)), 0.5, dtype=torch.float32, device=u.device)
        x[:, 0::2] = 0.0
        for j, (tokens, positions) in fixed.items():
            x[:, 2 * j], x[:, 2 * j + 1] = float(tokens[0]), float(positions[0])
        for k, j in enumerate(free):
            x[:, 2 * j] = grid[:, k].to(x.dtype)
        prefix = self.order[: last + 1]
        log_joint = self._log_probs(x, self._before(self.order, u.device))[:, prefix].double().sum(dim=1)
        if not torch.isfinite(log_joint).any():
            raise ModelError("The fixed values never occur together in this model's rows.")
        joint = torch.softmax(log_joint, dim=0).reshape(sizes)
        drawn: dict[int, tuple] = {}
        index = torch.zeros(n, dtype=torch.long, device=u.device)  # each row's levels so far, as one number
        for k, j in enumerate(free):
            later = tuple(range(k + 1, len(free)))
            table = (joint.sum(dim=later) if later else joint).reshape(-1, sizes[k])  # (levels so far, size)
            probs = table[index]
            probs = probs / probs.sum(dim=1, keepdim=True)
            tokens, _ = inverse_cdf(probs, u[:, j].double())
            drawn[j] = (tokens, torch.full((n,), 0.5, dtype=torch.float64))
            index = index * sizes[k] + tokens
        return drawn


def cdf_interval(probs: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each index's interval of the CDF starts, and its width: probs (..., k), index (...) -> two (...)."""
    p = probs.gather(-1, index[..., None]).squeeze(-1)
    return (probs.cumsum(dim=-1) - probs).gather(-1, index[..., None]).squeeze(-1), p


def inverse_cdf(probs: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where (n,) u's in [0, 1] fall in the CDFs of (n, k) probabilities (float64): (n,) indices and residuals.

    The index is the last g of positive probability whose interval starts at or below u, F_{g-1} <= u, as
    `cdf_interval` computes the starts, give or take CDF_TOLERANCE: an `encode_encoded` u at the very start of
    an interval, rounded on its way through a group's residual, still comes back to its own index. The
    residual (u - F_{g-1}) / p_g, clipped to [0, 1), is uniform again and chooses inside g.
    """
    starts = probs.cumsum(dim=1) - probs
    candidates = torch.arange(probs.shape[1], device=probs.device).expand_as(probs)
    reached = (starts <= u[:, None] + CDF_TOLERANCE) & (probs > 0)
    index = torch.where(reached, candidates, -1).max(dim=1).values
    below, p = cdf_interval(probs, index)
    return index, ((u - below) / p).clamp(0.0, MAX_POSITION)
