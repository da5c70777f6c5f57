"""GAN (Goodfellow et al., 2014): a generator and a discriminator playing the original minimax game.

G: noise z (n, latent_dim) -> encoded row (n, data_dim), ending in the span-aware head.
D: encoded row -> one logit, "real" vs "generated". Both are MLPs; G uses the non-saturating
loss -log D(G(z)). Its losses are famously uninformative about sample quality: watch samples,
not curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode, noise_codes
from gen_models.models.nets import SpanHead, mlp
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole


@dataclass
class GANConfig(TrainConfig):
    latent_dim: int = 32  # size of the noise vector z
    generator_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    lr: float = 2e-4  # Adam, betas (0.5, 0.999) as in DCGAN
    dropout: float = 0.3  # discriminator dropout: slows it down so G gets useful gradients
    tau: float = 0.2  # Gumbel-softmax temperature for categorical outputs

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("generator_hidden", self.generator_hidden)
        check_sizes("discriminator_hidden", self.discriminator_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("tau", self.tau, 0, low_open=True)


class GAN(GenerativeModel):
    name = "gan"
    description = MODEL_DESCRIPTIONS["gan"]
    Config = GANConfig
    config: GANConfig

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {
                "generator": mlp(
                    cfg.latent_dim + cond_dim, cfg.generator_hidden, data_dim, negative_slope=0, batch_norm=True
                ),
                "discriminator": mlp(data_dim + cond_dim, cfg.discriminator_hidden, 1, dropout=cfg.dropout),
            }
        )
        self.head = SpanHead(self.encoder.spans, tau=cfg.tau)
        self.opt_g = torch.optim.Adam(self.networks["generator"].parameters(), lr=cfg.lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.networks["discriminator"].parameters(), lr=cfg.lr, betas=(0.5, 0.999))

    def latent_codes(self) -> list[LatentCode]:
        return noise_codes(self.config.latent_dim)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        g_in = z if c is None else torch.cat([z, c], dim=1)
        rows = self.head(self.networks["generator"](g_in), mode="gumbel", generator=generator)
        return self.with_condition(rows, c)

    def discriminate(self, x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return self.networks["discriminator"](x if c is None else torch.cat([x, c], dim=1))

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        n = x.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(n, 1, device=x.device), torch.zeros(n, 1, device=x.device)

        z = torch.randn(n, self.config.latent_dim, device=x.device)
        fake = self.generate(z, c)
        d_loss = bce(self.discriminate(x, c), ones) + bce(self.discriminate(fake.detach(), c), zeros)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        g_loss = bce(self.discriminate(fake, c), ones)  # non-saturating: maximise log D(G(z))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        return {"discriminator_loss": d_loss.item(), "generator_loss": g_loss.item()}
