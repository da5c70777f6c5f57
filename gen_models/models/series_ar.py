"""Autoregressive series model: a series is drawn one step at a time, each step given the steps before it.

The sequence counterpart of the `autoregressive` table model (which follows mostlyai-engine's TabularARGN):
the same idea applied along time, trained by maximum likelihood instead of against a discriminator.
A GRU reads the series so far; at step t it has seen steps 0..t-1 (their values, their changes and the
label) and heads on its state give, channel by channel, the distribution of the step's value:

- at step 0 the bin of each channel's first value, at step t >= 1 the bin of its change x_t - x_{t-1};
  the bins (`data.encoders.sequence_bins`) are quantile bins in the data's own units, on the data's
  decimal grid when it has one, with point masses for values that hold a bin's share;
- within a step, channel v's head also sees the channels before it at that step (v = 0 first), so
  channels depend on each other as well as on the past;
- the position inside a bin is uniform (an exact value on a grid).

So the model learns the conditional distribution of each change directly, which is what a classifier
telling generated series from real ones looks at: hour-to-hour jitter, the daily shape, how the label
changes both. Series of different lengths (the encoder's mask channel) draw their length first, from the
label; the GRU then knows how long the series is and how far along it is.

Sampling is an exact inverse transform, as in the table model: each (step, channel) has a code u in [0, 1]
that picks the bin through the conditional CDF, and what is left of u picks the place in the bin. The
codes (the sliders) are "u_<channel>[<step>]": step 0's is the first value's quantile among series with
this label, a later step's the change's quantile given the series so far (0 = the largest fall the model
expects, 1 = the largest rise). `encode` maps a real series to its u's and decoding those gives it back.

Shapes: encoded series x (n, T*F) in [-1, 1], step-major (`SequenceEncoder`), F = V value channels plus
the mask channel when lengths differ; labels c (n, k) one-hot or None; codes (n, [1 +] T*V).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.data.encoders.sequence_bins import BinnedSequenceEncoder
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import TableSchema
from gen_models.models.autoregressive import cdf_interval, inverse_cdf
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.training import TrainConfig
from gen_models.training.config import MAX_LAYER_SIZE, check_number, check_whole


@dataclass
class SeriesARConfig(TrainConfig):
    auto_steps: int = 1500  # about this many steps, but at most max_epochs epochs (as the table model)
    max_epochs: int | None = 200
    batch_size: int = 64
    hidden: int = 64  # width of the GRU that reads the series so far
    layers: int = 1  # stacked GRU layers
    head_hidden: int = 64  # width of each channel's head
    step_embedding: int = 8  # a learnt vector per step index: where in the series (the hour of the day) it is
    dropout: float = 0.1  # in the heads
    lr: float = 3e-3
    weight_decay: float = 1e-5
    max_bins: int = 100  # bins of a channel's first values and of its changes (fewer for small data)
    rows_per_bin: int = 10  # ... about one bin per this many values

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("hidden", self.hidden, 1, MAX_LAYER_SIZE)
        check_whole("layers", self.layers, 1, 4)
        check_whole("head_hidden", self.head_hidden, 1, MAX_LAYER_SIZE)
        check_whole("step_embedding", self.step_embedding, 1, 64)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("weight_decay", self.weight_decay, 0)
        check_whole("max_bins", self.max_bins, 2, 1000)
        check_whole("rows_per_bin", self.rows_per_bin, 1)


def _head(inputs: int, hidden: int, outputs: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, outputs))


class SeriesNet(nn.Module):
    """The GRU and its heads.

    step inputs (n, T, 2V + 1 + k + extra) -> states (n, T, hidden); a channel's head maps
    [state, the step's earlier channels' (value, change)] (n, ..., hidden + 2v) to bin logits.
    """

    def __init__(
        self,
        channels: int,
        steps: int,
        cond_dim: int,
        start_bins: list[int],
        change_bins: list[int],
        n_lengths: int,
        cfg: SeriesARConfig,
    ):
        super().__init__()
        extra = 2 if n_lengths else 0  # masked series: the length and the steps left, as shares of T
        inputs = 2 * channels + 1 + cond_dim + cfg.step_embedding + extra
        self.steps = nn.Embedding(steps, cfg.step_embedding)
        self.gru = nn.GRU(inputs, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.start_heads = nn.ModuleList(
            _head(cfg.hidden + 2 * v, cfg.head_hidden, start_bins[v], cfg.dropout) for v in range(channels)
        )
        self.change_heads = nn.ModuleList(
            _head(cfg.hidden + 2 * v, cfg.head_hidden, change_bins[v], cfg.dropout) for v in range(channels)
        )
        if n_lengths:
            self.length_head = _head(max(cond_dim, 1), cfg.head_hidden, n_lengths, cfg.dropout)


class SeriesAR(GenerativeModel):
    name = "series_ar"
    description = MODEL_DESCRIPTIONS["series_ar"]
    Config = SeriesARConfig
    config: SeriesARConfig
    supports_condition = True
    has_encoder = True
    data_kinds = ("sequences",)

    def make_encoder(self, layout: DataLayout, schema: TableSchema) -> BinnedSequenceEncoder:
        return BinnedSequenceEncoder(layout, max_bins=self.config.max_bins, rows_per_bin=self.config.rows_per_bin)

    def build(self, data_dim: int, cond_dim: int) -> None:
        encoder = self.encoder
        assert isinstance(encoder, BinnedSequenceEncoder)
        self.T, self.F, self.V = encoder.steps, encoder.features, encoder.channels
        assert self.T * self.F == data_dim
        self.cond_dim = cond_dim
        with torch.device("cpu"):  # plain look-up tables, even when from_state first builds on the meta device
            self._tables = [_BinTable.of(b) for b in encoder.start_bins], [_BinTable.of(b) for b in encoder.change_bins]
            low, span = encoder._scale()
            self.low = torch.tensor(low[: self.V], dtype=torch.float64)
            self.span = torch.tensor(span[: self.V], dtype=torch.float64)
            # Changes are fed to the GRU in units of their typical size, so a channel of small steps is not ignored.
            self.change_scale = torch.tensor(
                [max(t.std() * 2 / s, 1e-3) for t, s in zip(self._tables[1], span, strict=False)], dtype=torch.float32
            )
            self.lengths = torch.tensor(encoder.lengths or [self.T], dtype=torch.long)
        self.networks["series"] = SeriesNet(
            self.V,
            self.T,
            cond_dim,
            [len(b.lows) for b in encoder.start_bins],
            [len(b.lows) for b in encoder.change_bins],
            len(encoder.lengths) if encoder.masked else 0,
            self.config,
        )
        self.opt = torch.optim.AdamW(
            self.networks.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay
        )

    @property
    def net(self) -> SeriesNet:
        return self.networks["series"]

    # ----- the series as the network sees them ---------------------------------------------------
    def _step_inputs(
        self,
        before: torch.Tensor,
        steps: torch.Tensor,
        c: torch.Tensor | None,
        lengths: torch.Tensor | None,
    ) -> torch.Tensor:
        """GRU inputs (n, S, in) for the S steps `steps` (S,), given `before` (n, S, 2V): the values and
        changes of the step before each one (zeros before step 0, which gets a 'first' flag instead)."""
        n, count = before.shape[0], len(steps)
        parts = [before, (steps == 0).float()[None, :, None].expand(n, count, 1)]
        if c is not None:
            parts.append(c[:, None, :].expand(n, count, c.shape[1]))
        parts.append(self.net.steps(steps)[None].expand(n, count, -1))
        if lengths is not None:
            parts += [
                (lengths[:, None] / self.T).expand(n, count)[..., None],
                ((lengths[:, None] - steps[None, :]) / self.T)[..., None],
            ]
        return torch.cat(parts, dim=2)

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """x (n, T*F) -> values (n, T, V) in [-1, 1], their scaled changes (n, T, V) (0 at step 0), and the
        (n,) lengths of masked series (None otherwise)."""
        seq = x.reshape(len(x), self.T, self.F).float()
        values = seq[:, :, : self.V]
        changes = torch.cat([torch.zeros_like(values[:, :1]), values[:, 1:] - values[:, :-1]], dim=1)
        changes = changes / self.change_scale.to(x.device)
        lengths = None
        if self.F > self.V:
            lengths = (seq[:, :, -1] > 0).sum(dim=1).clamp(min=1)
        return values, changes, lengths

    def _length_logits(self, c: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor:
        given = c if c is not None else torch.ones(n, 1, device=device)
        return self.net.length_head(given)

    def _head_inputs(self, states: torch.Tensor, values: torch.Tensor, changes: torch.Tensor, v: int) -> torch.Tensor:
        """[states, the first v channels' values and changes] (..., hidden + 2v)."""
        return torch.cat([states, values[..., :v], changes[..., :v]], dim=-1)

    def _log_likelihoods(
        self, x: torch.Tensor, c: torch.Tensor | None
    ) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
        """Teacher-forced pass over encoded series x (n, T*F): per channel the log-probabilities of its first
        value's bins (n, bins_s) and of its changes' bins (n, T-1, bins_c); the (n, n_lengths) length
        log-probabilities, the (n, T) mask of real steps and the (n,) lengths. Series of one length: None,
        all True, None."""
        values, changes, lengths = self._split(x)
        shown = torch.cat([values, changes], dim=2)  # (n, T, 2V): what step t shows the steps after it
        before = torch.cat([torch.zeros_like(shown[:, :1]), shown[:, :-1]], dim=1)
        steps = torch.arange(self.T, device=x.device)
        states, _ = self.net.gru(self._step_inputs(before, steps, c, lengths))
        out = []
        for v in range(self.V):
            start = self.net.start_heads[v](self._head_inputs(states[:, 0], values[:, 0], changes[:, 0], v))
            later = self.net.change_heads[v](self._head_inputs(states[:, 1:], values[:, 1:], changes[:, 1:], v))
            out.append((start.log_softmax(dim=-1), later.log_softmax(dim=-1)))
        real = torch.ones(len(x), self.T, dtype=torch.bool, device=x.device)
        length_logp = None
        if lengths is not None:
            real = torch.arange(self.T, device=x.device)[None, :] < lengths[:, None]
            length_logp = self._length_logits(c, len(x), x.device).log_softmax(dim=-1)
        return out, length_logp, real, lengths

    def _tokens(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens, positions = self.encoder.tokens(x.detach().cpu().numpy())
        return torch.from_numpy(tokens).to(x.device), torch.from_numpy(positions).to(x.device)

    def _length_index(self, lengths: torch.Tensor) -> torch.Tensor:
        known = self.lengths.to(lengths.device)
        return (known[None, :] == lengths[:, None]).float().argmax(dim=1)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        self.net.train()
        tokens, _ = self._tokens(x)
        per_channel, length_logp, real, lengths = self._log_likelihoods(x, c)
        nll = x.new_zeros(())
        for v, (start, later) in enumerate(per_channel):
            nll = nll - start.gather(1, tokens[:, 0, v, None]).sum()
            picked = later.gather(2, tokens[:, 1:, v, None]).squeeze(2)
            nll = nll - (picked * real[:, 1:]).sum()
        count = real.sum() * self.V
        if length_logp is not None:
            nll = nll - length_logp.gather(1, self._length_index(lengths)[:, None]).sum()
            count = count + len(x)
        loss = nll / count
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"nll": loss.item()}

    # ----- codes ---------------------------------------------------------------------------------
    def latent_codes(self) -> list[LatentCode]:
        encoder = self.encoder
        codes = []
        if encoder.masked:
            codes.append(
                LatentCode(
                    "u_length",
                    "continuous",
                    "the series' length: its quantile among the lengths of series with this label",
                    low=0.0,
                    high=1.0,
                    prior="uniform",
                )
            )
        channels = encoder.channel_names
        # One-channel wide data names a step by its column ("u_h3"); otherwise channel and step ("u_temperature[3]").
        by_column = encoder.layout.wide and len(channels) == 1
        for t, step in enumerate(encoder.step_names):
            for channel in channels:
                name = f"u_{step}" if by_column else f"u_{channel}[{step}]"
                if t == 0:
                    meaning = f"the first {channel}'s quantile among series like this one: 0 = the lowest"
                else:
                    meaning = (
                        f"the change of {channel} at step {step}, as a quantile of the changes expected there given "
                        "the series so far: 0 = the largest fall, 1 = the largest rise"
                    )
                codes.append(LatentCode(name, "continuous", meaning, low=0.0, high=1.0, prior="uniform"))
        return codes

    # ----- sampling ------------------------------------------------------------------------------
    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """u's (n, [1 +] T*V) in [0, 1] and labels (n, k) or None -> encoded series (n, T*F).

        Deterministic: the u's decide every draw.
        """
        n, device = len(z), z.device
        u = z.double().clamp(0.0, 1.0)  # a search or added noise may step outside the codes' range
        lengths = None
        if self.encoder.masked:
            probs = self._length_logits(c, n, device).double().softmax(dim=-1)
            index, _ = inverse_cdf(probs, u[:, 0])
            lengths = self.lengths.to(device)[index]
            u = u[:, 1:]
        u = u.reshape(n, self.T, self.V)
        low, span = self.low.to(device), self.span.to(device)
        scale = self.change_scale.to(device)
        values = torch.zeros(n, self.T, self.V, device=device)  # scaled to [-1, 1], as the encoder does
        changes = torch.zeros(n, self.T, self.V, device=device)
        raw = torch.zeros(n, self.V, dtype=torch.float64, device=device)
        zeros = torch.zeros(n, 1, 2 * self.V, device=device)
        state = None
        with torch.no_grad():
            for t in range(self.T):
                # One step's input at a time: the state carries the steps before it.
                before = torch.cat([values[:, t - 1 : t], changes[:, t - 1 : t]], dim=2) if t else zeros
                inputs = self._step_inputs(before, torch.tensor([t], device=device), c, lengths)
                out, state = self.net.gru(inputs, state)
                for v in range(self.V):
                    head = self.net.start_heads[v] if t == 0 else self.net.change_heads[v]
                    logits = head(self._head_inputs(out[:, 0], values[:, t], changes[:, t], v))
                    token, rest = inverse_cdf(logits.double().softmax(dim=-1), u[:, t, v])
                    number = self._tables[0 if t == 0 else 1][v].value(token, rest)
                    previous = raw[:, v]
                    raw[:, v] = (number if t == 0 else previous + number).clamp(low[v], low[v] + span[v])
                    scaled = (2 * (raw[:, v] - low[v]) / span[v] - 1).clamp(-1, 1).float()
                    values[:, t, v] = scaled
                    if t > 0:
                        changes[:, t, v] = (scaled - values[:, t - 1, v]) / scale[v]
        if lengths is None:
            return values.reshape(n, -1)
        real = torch.arange(self.T, device=device)[None, :] < lengths[:, None]
        last = values.gather(1, (lengths - 1)[:, None, None].expand(n, 1, self.V))
        values = torch.where(real[..., None], values, last)  # padded steps repeat the last real one, as encoded
        mask = torch.where(real, 1.0, -1.0)[..., None]
        return torch.cat([values, mask], dim=2).reshape(n, -1)

    @torch.no_grad()
    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Codes of real series (n_series, [1 +] T*V), each read given its own label."""
        encoder = self._require_fitted()
        x = torch.from_numpy(encoder.transform(data)).to(self.device)
        c = self.conditions_of(data)
        return self.encode_encoded(x, None if c is None else c.to(self.device)).cpu().numpy()

    def encode_encoded(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Encoded series (n, T*F) and their labels (n, k) -> their u's (n, [1 +] T*V), float64:
        u = F(bins below) + p(bin) * position. A labelled model given no labels reads every series as the
        first label's."""
        if c is None and self.cond_dim:
            c = torch.zeros(len(x), self.cond_dim, device=x.device)
            c[:, 0] = 1.0
        tokens, positions = self._tokens(x)
        with self._eval_mode(), torch.no_grad():
            per_channel, length_logp, _, lengths = self._log_likelihoods(x, c)
        u = torch.zeros(len(x), self.T, self.V, dtype=torch.float64, device=x.device)
        for v, (start, later) in enumerate(per_channel):
            below, p = cdf_interval(start.double().exp(), tokens[:, 0, v])
            u[:, 0, v] = below + p * positions[:, 0, v]
            below, p = cdf_interval(later.double().exp(), tokens[:, 1:, v])
            u[:, 1:, v] = below + p * positions[:, 1:, v]
        u = u.reshape(len(x), -1)
        if length_logp is not None:
            below, p = cdf_interval(length_logp.double().exp(), self._length_index(lengths))
            u = torch.cat([(below + 0.5 * p)[:, None], u], dim=1)
        return u


class _BinTable:
    """One channel's bins as tensors: the number at (bin, position), as `quantile._value_of` computes it."""

    def __init__(self, lows: torch.Tensor, highs: torch.Tensor, counts: torch.Tensor, decimals: int | None):
        self.lows, self.highs, self.counts, self.decimals = lows, highs, counts, decimals

    @classmethod
    def of(cls, bins) -> _BinTable:
        return cls(
            torch.tensor(bins.lows, dtype=torch.float64),
            torch.tensor(bins.highs, dtype=torch.float64),
            torch.tensor(bins.counts, dtype=torch.float64),
            bins.decimals,
        )

    def value(self, token: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """(n,) bins and (n,) positions in [0, 1) -> (n,) float64 numbers in the data's units."""
        lows, highs = self.lows.to(token.device)[token], self.highs.to(token.device)[token]
        if self.decimals is None:
            return lows + position * (highs - lows)
        cells = highs - lows + 1
        grid = lows + torch.minimum(torch.floor(position * cells), cells - 1)
        return grid / 10.0**self.decimals

    def std(self) -> float:
        """The spread of the training numbers, from the bins' midpoints and counts (data units)."""
        middles = (self.lows + self.highs).numpy() / 2
        if self.decimals is not None:
            middles = middles / 10.0**self.decimals
        weights = self.counts.numpy() / self.counts.numpy().sum()
        mean = float((weights * middles).sum())
        return math.sqrt(float((weights * (middles - mean) ** 2).sum()))


__all__ = ["SeriesAR", "SeriesARConfig"]
