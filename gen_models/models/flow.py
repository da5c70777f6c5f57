"""Normalizing flow for tables (RealNVP: Dinh, Sohl-Dickstein & Bengio, 2017): an exact, invertible latent space.

Rows are first encoded by the flow's own `GaussianisedEncoder` (gen_models.data.encoders.gaussianised): one
real number per dimension, each column's values cut into cells so that a draw inside a row's cell is, over
the data, standard normal (categories and repeated numbers are *dequantised* that way while training).
The flow f maps such a row y (n, d) to a code z = f(y) (n, d) through `n_couplings` affine coupling layers:
each keeps half the dimensions (its mask) and moves the other half by a scale and a shift computed from the
kept half, y' = y * exp(s(y_kept)) + t(y_kept), so it is invertible in closed form and its log-determinant is
the sum of s. Consecutive layers swap halves; each pair draws its split from a fixed seed (its index).

Training lowers the negative log-likelihood of the dequantised rows, -log N(f(y); 0, I) - log|det df/dy|, and
that curve means what it says: lower is a better density. Sampling draws z ~ N(0, I) and inverts the flow.
Every dimension is a code (one per encoded column, named z[column]): `encode` is exact, `decode_codes`
inverts it (float64, so decode_codes(encode(df)) == df), and `log_likelihood(df)` gives each row's log-density.
Tables only: the encoder is for table columns.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.data.encoders import GaussianisedEncoder
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import TableSchema
from gen_models.errors import ModelError
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.nets import mlp
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole

LOG_2PI = float(np.log(2 * np.pi))
# Gradients of a density can spike on a batch of odd rows; clipping their norm keeps one step from undoing many.
MAX_GRAD_NORM = 10.0


@dataclass
class FlowConfig(TrainConfig):
    n_couplings: int = 8  # affine coupling layers; pairs of them each transform every dimension once
    hidden: tuple[int, ...] = (128, 128)  # each coupling's scale-and-shift network
    lr: float = 1e-3  # Adam
    max_log_scale: float = 3.0  # one coupling scales a dimension by at most e^3 (a soft tanh bound: stable early steps)
    max_cells: int = 500  # cells of a numeric column with more distinct values (see the encoder)
    auto_steps: int = 2000  # a density needs more steps than the 600 a GAN gets

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("n_couplings", self.n_couplings, 1, 256)
        check_sizes("hidden", self.hidden, allow_empty=False)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("max_log_scale", self.max_log_scale, 0, 20, low_open=True)
        check_whole("max_cells", self.max_cells, 2, MAX_LAYER_SIZE)


class AffineCoupling(nn.Module):
    """One RealNVP coupling on (n, d) rows: masked dimensions pass, the others are scaled and shifted.

    forward: y (n, d) -> (y', (n,) log|det dy'/dy|); inverse: y' (n, d) -> y. The network's last layer
    starts at zero, so a new coupling is the identity and training starts from the encoder's Gaussian marginals.
    """

    def __init__(self, mask: torch.Tensor, hidden: tuple[int, ...], max_log_scale: float):
        super().__init__()
        d = mask.shape[0]
        self.register_buffer("mask", mask, persistent=False)  # rebuilt from the layer's index, never loaded
        self.net = mlp(d, hidden, 2 * d, negative_slope=0)
        last = self.net[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.max_log_scale = max_log_scale

    def _scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = self.mask.to(kept.dtype)
        raw_scale, shift = self.net(kept * mask).chunk(2, dim=1)
        log_scale = self.max_log_scale * torch.tanh(raw_scale / self.max_log_scale) * (1 - mask)
        return log_scale, shift * (1 - mask)

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_scale, shift = self._scale_shift(y)
        return y * torch.exp(log_scale) + shift, log_scale.sum(dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        log_scale, shift = self._scale_shift(y)  # the masked half is unchanged, so s and t are the same
        return (y - shift) * torch.exp(-log_scale)


def coupling_masks(d: int, n_couplings: int) -> list[torch.Tensor]:
    """(d,) masks, 1 = passed through: pair k splits the dimensions by a permutation seeded with k, the
    second layer of the pair keeps what the first moved. With d = 1 the first of a pair moves the lone
    dimension by a learned constant affine map."""
    masks = []
    for layer in range(n_couplings):
        order = np.random.default_rng(layer // 2).permutation(d)
        mask = np.zeros(d, dtype=np.float32)
        mask[order[: d // 2]] = 1.0
        masks.append(torch.tensor(mask if layer % 2 == 0 else 1.0 - mask))
    return masks


def flow_forward(couplings: nn.ModuleList, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows y (n, d) -> codes z (n, d) and (n,) log|det dz/dy|."""
    log_det = y.new_zeros(y.shape[0])
    for coupling in couplings:
        y, step = coupling(y)
        log_det = log_det + step
    return y, log_det


def flow_inverse(couplings: nn.ModuleList, z: torch.Tensor) -> torch.Tensor:
    """Codes z (n, d) -> rows y (n, d): `flow_forward` undone, last layer first."""
    for coupling in reversed(couplings):
        z = coupling.inverse(z)
    return z


def standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    """(n, d) -> (n,) log N(z; 0, I)."""
    return -0.5 * (z**2).sum(dim=1) - 0.5 * z.shape[1] * LOG_2PI


class Flow(GenerativeModel):
    name = "flow"
    description = MODEL_DESCRIPTIONS["flow"]
    Config = FlowConfig
    config: FlowConfig
    has_encoder = True
    data_kinds = ("table",)
    encoder: GaussianisedEncoder

    def make_encoder(self, layout: DataLayout, schema: TableSchema) -> GaussianisedEncoder:
        return GaussianisedEncoder(schema, max_cells=self.config.max_cells)

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        couplings = [
            AffineCoupling(mask, cfg.hidden, cfg.max_log_scale) for mask in coupling_masks(data_dim, cfg.n_couplings)
        ]
        self.networks = nn.ModuleDict({"flow": nn.ModuleList(couplings)})
        self.opt = torch.optim.Adam(self.networks.parameters(), lr=cfg.lr)
        # Each dimension's cell edges, padded with +inf to one (d, k + 1) table, for dequantising batches.
        cells = self.encoder.cells
        width = max(len(knots) for knots in cells)
        table = np.full((len(cells), width), np.inf)
        for j, knots in enumerate(cells):
            table[j, : len(knots)] = knots
        self._knots = torch.tensor(table, dtype=torch.float32, device="cpu")
        self._last_cell = torch.tensor([len(knots) - 2 for knots in cells], device="cpu")
        self._missing_pairs = self.encoder.missing_pairs

    def latent_codes(self) -> list[LatentCode]:
        codes = []
        for span in self.encoder.spans:
            what = (
                "whether it is empty"
                if span.role == "missing"
                else "its value"
                if span.role == "value"
                else "its level"
            )
            codes.append(
                LatentCode(
                    # Named after the column but not as it, so codes and columns can share a table.
                    name=f"z[{span.column} empty]" if span.role == "missing" else f"z[{span.column}]",
                    kind="continuous",
                    meaning=f"the flow's Gaussian dimension for '{span.column}' ({what}), mixed with the others",
                    role="code",
                )
            )
        return codes

    # ----- training -------------------------------------------------------------------------------
    def dequantise(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n, d) -> (n, d), each value drawn uniformly inside its cell (torch's global generator);
        an empty number's value dimension becomes standard normal noise, since it carries nothing."""
        knots = self._knots.to(x.device)
        cell = torch.searchsorted(knots, x.T.contiguous(), right=True) - 1  # (d, n)
        cell = torch.minimum(cell.clamp_min(0), self._last_cell.to(x.device)[:, None])
        low, high = knots.gather(1, cell), knots.gather(1, cell + 1)
        y = (low + torch.rand_like(low) * (high - low)).T
        for value, missing in self._missing_pairs:
            empty = x[:, missing] > knots[missing, 1]  # beyond the "present" cell
            y[:, value] = torch.where(empty, torch.randn_like(y[:, value]), y[:, value])
        return y

    def negative_log_likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """(n, d) encoded rows -> (n,) -log p(y) under the flow, in nats."""
        z, log_det = flow_forward(self.networks["flow"], y)
        return -(standard_normal_log_density(z) + log_det)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        loss = self.negative_log_likelihood(self.dequantise(x)).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.networks.parameters(), MAX_GRAD_NORM)
        self.opt.step()
        return {"negative_log_likelihood": loss.item()}

    # ----- sampling and codes -----------------------------------------------------------------------
    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Codes z (n, d) -> encoded rows (n, d): the flow inverted (deterministic; no generator is needed).

        In float32, the networks' type, whatever z's (`encode` gives float64 codes); `decode_codes` is exact."""
        return flow_inverse(self.networks["flow"], z.float())

    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n, d) -> their codes (n, d): the flow itself."""
        return flow_forward(self.networks["flow"], x.float())[0]

    def _exact_couplings(self) -> nn.ModuleList:
        """A float64 copy of the flow for exact round trips (float32 would move values across cell edges)."""
        self._require_fitted()
        couplings = copy.deepcopy(self.networks["flow"]).double().eval()
        assert isinstance(couplings, nn.ModuleList)
        return couplings

    @torch.no_grad()
    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Codes of real rows: (n_rows, d) float64, exact (see `decode_codes`)."""
        y = torch.from_numpy(self._require_fitted().transform_exact(data)).to(self.device)
        return flow_forward(self._exact_couplings(), y)[0].cpu().numpy()

    @torch.no_grad()
    def decode_codes(self, codes: np.ndarray, conditions: np.ndarray | None = None) -> pd.DataFrame:
        """(n, d) codes -> n rows, in float64: `decode_codes(encode(df))` gives `df` back."""
        encoder = self._require_fitted()
        if conditions is not None:
            raise ModelError("flow takes no condition column, so its codes decode without conditions.")
        z = np.asarray(codes, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != self.latent_width:
            raise ModelError(f"flow takes codes of shape (rows, {self.latent_width}), not {z.shape}.")
        if not np.all(np.isfinite(z)):
            raise ModelError("flow's codes must be finite numbers; some are NaN or infinite.")
        y = flow_inverse(self._exact_couplings(), torch.from_numpy(z).to(self.device))
        return encoder.inverse_transform(y.cpu().numpy())

    @torch.no_grad()
    def log_likelihood(self, data: pd.DataFrame) -> np.ndarray:
        """(n_rows,) log-likelihood of each row, in nats: exact change of variables, finite for any row.

        Numbers count as densities in their column's units (datetimes in their steps, days for dates),
        categories and emptiness as probabilities (the flow's density at the cell's middle times the cell's
        width). A row outside the training range still gets a value: the encoder's map goes on straight beyond it.
        """
        encoder = self._require_fitted()
        y = encoder.transform_exact(data)
        z, log_det = flow_forward(self._exact_couplings(), torch.from_numpy(y).to(self.device))
        flow_part = (standard_normal_log_density(z) + log_det).cpu().numpy()
        return flow_part + encoder.log_jacobian(data) + encoder.log_cell_widths(y)


def round_trip_errors(original: pd.DataFrame, rebuilt: pd.DataFrame, rtol: float = 1e-4) -> list[str]:
    """What differs between rows and their rebuilt copy (`decode_codes(encode(df))`), one sentence per column.

    Equal means: empty where empty, numbers within `rtol` of the original (relative), everything else equal
    as text (categories, booleans, datetimes). An empty list: the round trip is exact.
    """
    errors = []
    for name in rebuilt.columns:
        a, b = original[name].reset_index(drop=True), rebuilt[name].reset_index(drop=True)
        empty_a, empty_b = a.isna().to_numpy(), b.isna().to_numpy()
        if not np.array_equal(empty_a, empty_b):
            errors.append(f"'{name}': {int((empty_a != empty_b).sum())} rows empty in one and not the other")
            continue
        a, b = a[~empty_a], b[~empty_b]
        numeric = pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a)
        if numeric:
            x, y = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
            wrong = int((np.abs(x - y) > rtol * np.abs(x)).sum())
        else:
            wrong = int((a.astype(str).to_numpy() != b.astype(str).to_numpy()).sum())
        if wrong:
            errors.append(f"'{name}': {wrong} values differ")
    return errors
