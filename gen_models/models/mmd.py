"""Generative moment matching network (Li, Swersky & Zemel, 2015; Dziugaite et al., 2015): no discriminator.

G: noise z (n, latent_dim) -> encoded row (n, data_dim), an MLP ending in the span-aware head (tanh values,
Gumbel-softmax categories, as the GAN's). The loss compares a generated batch Y with a real batch X directly,
by the squared maximum mean discrepancy under a mixture of Gaussian (RBF) kernels:

    MMD^2(X, Y) = mean k(x, x') + mean k(y, y') - 2 mean k(x, y),   k(a, b) = sum_s exp(-|a - b|^2 / (2 s^2))

(all pairs, the biased estimate: never negative, exactly 0 for identical batches). The bandwidths s are
`bandwidths` times the median distance between the real batch's rows, so the kernels suit any table's scale;
small ones match fine structure, large ones the overall spread. The loss is a distance between the two
distributions, so unlike a GAN's its curve says how training goes: it falls as the rows get closer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.errors import ModelError
from gen_models.models.base import GenerativeModel, LatentCode, noise_codes
from gen_models.models.nets import SpanHead, mlp
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole


@dataclass
class MMDConfig(TrainConfig):
    latent_dim: int = 32  # size of the noise vector z
    generator_hidden: tuple[int, ...] = (256, 256)
    lr: float = 1e-3  # Adam
    bandwidths: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0, 2.0)  # kernel widths, in median distances between rows
    tau: float = 0.2  # Gumbel-softmax temperature for categorical outputs
    auto_steps: int = 1500  # with no adversary to keep up with, more steps keep lowering the distance

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("generator_hidden", self.generator_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        if not isinstance(self.bandwidths, tuple | list) or not self.bandwidths:
            raise ModelError(f"bandwidths must be a list of one or more kernel widths, not {self.bandwidths!r}.")
        for width in self.bandwidths:
            check_number("each of bandwidths", width, 0, 1e6, low_open=True)
        check_number("tau", self.tau, 0, low_open=True)
        if self.batch_size < 2:
            raise ModelError(
                f"batch_size must be at least 2 for mmd: it compares rows in pairs, not {self.batch_size}."
            )


def mmd_squared(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Squared MMD between batches x (n, d) and y (m, d) under a sum of RBF kernels of the given widths: a scalar.

    The biased (all pairs) estimate: >= 0, and 0 when x and y are the same rows.
    """
    widths = torch.as_tensor(bandwidths, dtype=x.dtype, device=x.device)
    inverse = 1.0 / (2.0 * widths**2)

    def kernel_mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        squared = torch.cdist(a, b).pow(2)
        return torch.exp(-squared[..., None] * inverse).sum(dim=-1).mean()

    return kernel_mean(x, x) + kernel_mean(y, y) - 2 * kernel_mean(x, y)


def median_distance(x: torch.Tensor) -> torch.Tensor:
    """The median distance between distinct rows of x (n, d), at least 1e-3 (a batch of equal rows): a scalar."""
    distances = torch.pdist(x)
    return distances.median().clamp_min(1e-3) if distances.numel() else x.new_tensor(1.0)


class MMD(GenerativeModel):
    name = "mmd"
    description = MODEL_DESCRIPTIONS["mmd"]
    Config = MMDConfig
    config: MMDConfig

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {"generator": mlp(cfg.latent_dim, cfg.generator_hidden, data_dim, negative_slope=0, batch_norm=True)}
        )
        self.head = SpanHead(self.encoder.spans, tau=cfg.tau)
        self.opt = torch.optim.Adam(self.networks["generator"].parameters(), lr=cfg.lr, betas=(0.5, 0.999))

    def latent_codes(self) -> list[LatentCode]:
        return noise_codes(self.config.latent_dim)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.head(self.networks["generator"](z), mode="gumbel", generator=generator)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        fake = self.generate(torch.randn(x.shape[0], self.config.latent_dim, device=x.device), None)
        # Widths from the real batch only, and without gradient: G must not win by moving the ruler.
        widths = median_distance(x).detach() * torch.tensor(self.config.bandwidths, device=x.device)
        loss = mmd_squared(x, fake, widths)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"mmd_squared": loss.item()}
