"""BiGAN (Donahue et al., 2016; "ALI", Dumoulin et al., 2016): a GAN that also learns to invert its generator.

G: code z (n, latent_dim) -> encoded item (n, data_dim), through the span-aware head.
E: encoded item (n, data_dim) -> code (n, latent_dim), a plain MLP.
D: the pair (item, code) concatenated, (n, data_dim + latent_dim) -> one logit: "real item with
its encoding (x, E(x))" vs "generated item with its code (G(z), z)".
The only way for G and E to fool D is for the two joint distributions to match, which (at the
optimum) makes E the inverse of G: `encode` then puts real items on the generator's axes. In
practice the inversion is loose, G(E(x)) keeps the gist of x more than its details; the bench
(`bench/bench_aae.py`) measures how loose.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.nets import SpanHead, mlp
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole


@dataclass
class BiGANConfig(TrainConfig):
    batch_size: int = 100  # small batches: the three-player game needs many steps
    auto_steps: int = 3000
    # 8 codes: few enough for one slider each, and a small code is easier for E to invert
    # (Donahue et al. use 50 on MNIST, but with 50 sliders no single one shows much).
    latent_dim: int = 8
    generator_hidden: tuple[int, ...] = (256, 256)
    encoder_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    lr: float = 2e-4  # Adam, betas (0.5, 0.999) as in DCGAN and the BiGAN paper
    dropout: float = 0.2  # discriminator dropout: slows D down so G and E get useful gradients
    tau: float = 0.2  # Gumbel-softmax temperature for categorical columns

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("generator_hidden", self.generator_hidden)
        check_sizes("encoder_hidden", self.encoder_hidden)
        check_sizes("discriminator_hidden", self.discriminator_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("tau", self.tau, 0, low_open=True)


class BiGAN(GenerativeModel):
    name = "bigan"
    description = MODEL_DESCRIPTIONS["bigan"]
    Config = BiGANConfig
    config: BiGANConfig
    has_encoder = True

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {
                "generator": mlp(cfg.latent_dim, cfg.generator_hidden, data_dim, negative_slope=0, batch_norm=True),
                "encoder": mlp(data_dim, cfg.encoder_hidden, cfg.latent_dim),
                "discriminator": mlp(data_dim + cfg.latent_dim, cfg.discriminator_hidden, 1, dropout=cfg.dropout),
            }
        )
        self.head = SpanHead(self.encoder.spans, tau=cfg.tau)
        betas = (0.5, 0.999)
        # G and E are one "player": they share an optimiser and a loss.
        ge_params = [*self.networks["generator"].parameters(), *self.networks["encoder"].parameters()]
        self.opt_ge = torch.optim.Adam(ge_params, lr=cfg.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.networks["discriminator"].parameters(), lr=cfg.lr, betas=betas)

    def latent_codes(self) -> list[LatentCode]:
        return [
            LatentCode(
                name=f"z{i}",
                kind="continuous",
                meaning=f"code dimension {i}: an axis of the generator that the encoder also maps real items onto",
                low=-3.0,
                high=3.0,
                role="code",
            )
            for i in range(self.config.latent_dim)
        ]

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.head(self.networks["generator"](z), mode="gumbel", generator=generator)

    def _discriminate(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.networks["discriminator"](torch.cat([x, z], dim=1))

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        n = x.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(n, 1, device=x.device), torch.zeros(n, 1, device=x.device)

        z = torch.randn(n, self.config.latent_dim, device=x.device)
        fake = self.generate(z, None)
        code = self.networks["encoder"](x)
        d_loss = bce(self._discriminate(x, code.detach()), ones) + bce(self._discriminate(fake.detach(), z), zeros)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # G and E swap the labels (non-saturating): real pairs should look generated and vice versa.
        ge_loss = bce(self._discriminate(x, code), zeros) + bce(self._discriminate(fake, z), ones)
        self.opt_ge.zero_grad(set_to_none=True)
        ge_loss.backward()
        self.opt_ge.step()
        return {"discriminator_loss": d_loss.item(), "generator_encoder_loss": ge_loss.item()}

    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Codes of encoded items: (n, data_dim) -> (n, latent_dim), on the generator's axes."""
        return self.networks["encoder"](x)

    @torch.no_grad()
    def reconstruct(self, data: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
        """G(E(x)) for real items, decoded to the data's layout: what the model 'understood' of each."""
        codes = torch.from_numpy(self.encode(data))
        return self.decode(self.generate_from_latent(codes, None, seed).cpu())
