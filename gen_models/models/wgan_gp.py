"""WGAN-GP (Gulrajani et al., 2017): a critic estimating the Wasserstein distance, kept 1-Lipschitz
by a gradient penalty.

G: noise z (n, latent_dim) [+ one-hot condition] -> encoded row with a *softmax* per categorical
span, fed raw to the critic: the trick that lets a Wasserstein GAN generate categories (no
sampling inside the graph, gradients flow through the probabilities; sampling picks a level).
Critic: encoded row [+ condition] -> one unbounded score, trained `n_critic` times per generator
step. Unlike the vanilla GAN, the critic loss tracks sample quality: it falls as samples improve.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode, noise_codes
from gen_models.models.nets import SpanHead, gradient_penalty, mlp
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_number, check_sizes, check_whole


@dataclass
class WGANGPConfig(TrainConfig):
    # 500 steps, not the shared 600: quality 0.930 vs 0.929 on penguins and 0.942 vs 0.935 on gpa (4,137 x 10),
    # in 24 s instead of 29-31 s on gpa with two CPU threads (bench/bench_models.py).
    auto_steps: int = 500
    latent_dim: int = 32  # size of the noise vector z
    generator_hidden: tuple[int, ...] = (256, 256)
    critic_hidden: tuple[int, ...] = (256, 256)
    lr: float = 2e-4  # Adam, betas (0.5, 0.9) as in the WGAN-GP paper
    n_critic: int = 2  # critic steps per generator step (the paper's 5 is ~2.4x slower for ~0.02 quality here)
    gp_weight: float = 10.0  # lambda in the gradient penalty
    pac: int = 1  # PacGAN packing: the critic judges `pac` rows at once, which fights mode collapse

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("generator_hidden", self.generator_hidden)
        check_sizes("critic_hidden", self.critic_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_whole("n_critic", self.n_critic, 1)
        check_number("gp_weight", self.gp_weight, 0)
        check_whole("pac", self.pac, 1)


class WGANGP(GenerativeModel):
    name = "wgan_gp"
    description = MODEL_DESCRIPTIONS["wgan_gp"]
    Config = WGANGPConfig
    config: WGANGPConfig
    supports_condition = True

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {
                "generator": mlp(
                    cfg.latent_dim + cond_dim, cfg.generator_hidden, data_dim, negative_slope=0, batch_norm=True
                ),
                "critic": mlp((data_dim + cond_dim) * cfg.pac, cfg.critic_hidden, 1),
            }
        )
        self.head = SpanHead(self.encoder.spans)
        self.opt_g = torch.optim.Adam(self.networks["generator"].parameters(), lr=cfg.lr, betas=(0.5, 0.9))
        self.opt_c = torch.optim.Adam(self.networks["critic"].parameters(), lr=cfg.lr, betas=(0.5, 0.9))

    def latent_codes(self) -> list[LatentCode]:
        return noise_codes(self.config.latent_dim)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        g_in = z if c is None else torch.cat([z, c], dim=1)
        raw = self.networks["generator"](g_in)
        # Training feeds softmax probabilities to the critic; sampling draws each category from
        # them (Gumbel with a low temperature), so rare levels still appear at their rate.
        mode = "softmax" if self.networks["generator"].training else "gumbel"
        return self.with_condition(self.head(raw, mode=mode, generator=generator), c)

    def _pack(self, rows: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """(n, d) rows [+ (n, k) conditions] -> (n // pac, pac * (d + k)) critic inputs."""
        x = rows if c is None else torch.cat([rows, c], dim=1)
        pac = self.config.pac
        n = x.shape[0] // pac * pac
        return x[:n].reshape(n // pac, -1)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        cfg = self.config
        critic = self.networks["critic"]
        n = x.shape[0]
        real = self._pack(x, c)
        for _ in range(cfg.n_critic):
            with torch.no_grad():
                fake = self._pack(self.generate(torch.randn(n, cfg.latent_dim, device=x.device), c), c)
            wasserstein = critic(real).mean() - critic(fake).mean()
            penalty = gradient_penalty(critic, real, fake)
            c_loss = -wasserstein + cfg.gp_weight * penalty
            self.opt_c.zero_grad(set_to_none=True)
            c_loss.backward()
            self.opt_c.step()

        fake = self._pack(self.generate(torch.randn(n, cfg.latent_dim, device=x.device), c), c)
        g_loss = -critic(fake).mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        return {
            "critic_loss": c_loss.item(),
            "generator_loss": g_loss.item(),
            "wasserstein_estimate": wasserstein.item(),
            "gradient_penalty": penalty.item(),
        }
