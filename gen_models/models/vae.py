"""Variational autoencoder for tables (Kingma & Welling, 2014; TVAE-style losses).

Encoder E: encoded row (n, data_dim) -> mean and log-variance of q(z|x), each (n, latent_dim).
Decoder: z (n, latent_dim) -> raw row (n, data_dim); values through tanh, categories as logits.
Loss: per-span reconstruction (squared error for values, cross-entropy for categories) plus
`beta` times KL(q(z|x) || N(0, I)). Every latent dimension is a code: a slider over z_i moves
the decoded rows along one learned direction, and `encode` puts real rows on the same axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.nets import SpanHead, mlp, span_reconstruction_loss
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole


@dataclass
class VAEConfig(TrainConfig):
    latent_dim: int = 8  # few enough dimensions that each one can get a slider
    encoder_hidden: tuple[int, ...] = (128, 128)
    decoder_hidden: tuple[int, ...] = (128, 128)
    lr: float = 1e-3
    beta: float = 1.0  # weight of the KL term: higher = smoother latent space, blurrier rows

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("encoder_hidden", self.encoder_hidden)
        check_sizes("decoder_hidden", self.decoder_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("beta", self.beta, 0)


class VAE(GenerativeModel):
    name = "vae"
    description = MODEL_DESCRIPTIONS["vae"]
    Config = VAEConfig
    config: VAEConfig
    has_encoder = True

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {
                "encoder": mlp(data_dim, cfg.encoder_hidden, 2 * cfg.latent_dim, negative_slope=0),
                "decoder": mlp(cfg.latent_dim, cfg.decoder_hidden, data_dim, negative_slope=0),
            }
        )
        self.spans = self.encoder.spans
        self.head = SpanHead(self.spans)
        self.opt = torch.optim.Adam(self.networks.parameters(), lr=cfg.lr)

    def latent_codes(self) -> list[LatentCode]:
        return [
            LatentCode(name=f"z{i}", kind="continuous", meaning=f"latent dimension {i} of the VAE", low=-3.0, high=3.0)
            for i in range(self.config.latent_dim)
        ]

    def _posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.networks["encoder"](x).chunk(2, dim=1)
        return mean, log_var.clamp(-10.0, 10.0)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.head(self.networks["decoder"](z), mode="gumbel", generator=generator)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        mean, log_var = self._posterior(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        reconstruction = span_reconstruction_loss(self.networks["decoder"](z), x, self.spans).mean()
        kl = (-0.5 * (1 + log_var - mean**2 - log_var.exp()).sum(dim=1)).mean()
        loss = reconstruction + self.config.beta * kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.item(), "reconstruction_loss": reconstruction.item(), "kl_divergence": kl.item()}

    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior means of encoded rows: (n, data_dim) -> (n, latent_dim), on the same axes as the codes."""
        return self._posterior(x)[0]
