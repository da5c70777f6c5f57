"""WGAN-GP (Gulrajani et al., 2017): a critic estimating the Wasserstein distance, kept 1-Lipschitz
by a gradient penalty.

G: noise z (n, latent_dim) [+ one-hot condition] [+ conditional vector] -> encoded row with a *softmax*
per categorical span, fed raw to the critic: the trick that lets a Wasserstein GAN generate categories
(no sampling inside the graph, gradients flow through the probabilities; sampling picks a level).
Critic: encoded row [+ condition] [+ conditional vector] -> one unbounded score, trained `n_critic` times
per generator step. Unlike the vanilla GAN, the critic loss tracks sample quality: it falls as samples improve.

Training by sampling (CTGAN's, `training_by_sampling`; see `gen_models.models.sampling_by_level`): on a
table with categorical columns, each row of a step asks for one level of one categorical column, chosen
with weight log(1 + count), through a one-hot conditional vector given to both networks; the critic's
real rows are drawn to hold the chosen levels, and a cross-entropy term makes G's row agree. Sampling
draws the conditional vector at the levels' real rates. It is internal: not a latent code, not a slider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.data import Span
from gen_models.models.base import GenerativeModel, LatentCode, noise_codes
from gen_models.models.nets import SpanHead, gradient_penalty, mlp
from gen_models.models.sampling_by_level import LevelDraw, LevelSampler
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_flag, check_number, check_sizes, check_whole


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
    # CTGAN's training-by-sampling, so rare categories are learned too. Only for tables with a categorical
    # column, and not with `condition=`: that column is already an input chosen per row, and a second
    # conditional input over the same levels would only compete with it. Models saved before the setting
    # existed load with it off, so they sample as they did.
    training_by_sampling: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("latent_dim", self.latent_dim, 1, MAX_LAYER_SIZE)
        check_sizes("generator_hidden", self.generator_hidden)
        check_sizes("critic_hidden", self.critic_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_whole("n_critic", self.n_critic, 1)
        check_number("gp_weight", self.gp_weight, 0)
        check_whole("pac", self.pac, 1)
        check_flag("training_by_sampling", self.training_by_sampling)


class WGANGP(GenerativeModel):
    name = "wgan_gp"
    description = MODEL_DESCRIPTIONS["wgan_gp"]
    Config = WGANGPConfig
    config: WGANGPConfig
    supports_condition = True
    # Set by `fit` (from the training rows) or `from_state` (from the saved counts) when training by sampling.
    level_sampler: LevelSampler | None = None
    _training_rows: torch.Tensor | None = None  # (n_rows, data_dim): where matching real rows are drawn from

    def _level_spans(self) -> list[Span]:
        """The category spans the conditional vector covers; none when training by sampling does not apply."""
        if not self.config.training_by_sampling or self.layout.kind != "table" or self.condition_column is not None:
            return []
        return [span for span in self.encoder.spans if span.role == "category"]

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        level_dim = sum(span.width for span in self._level_spans())
        self.networks = nn.ModuleDict(
            {
                "generator": mlp(
                    cfg.latent_dim + cond_dim + level_dim,
                    cfg.generator_hidden,
                    data_dim,
                    negative_slope=0,
                    batch_norm=True,
                ),
                "critic": mlp((data_dim + cond_dim + level_dim) * cfg.pac, cfg.critic_hidden, 1),
            }
        )
        self.head = SpanHead(self.encoder.spans)
        self.opt_g = torch.optim.Adam(self.networks["generator"].parameters(), lr=cfg.lr, betas=(0.5, 0.9))
        self.opt_c = torch.optim.Adam(self.networks["critic"].parameters(), lr=cfg.lr, betas=(0.5, 0.9))

    def split_validation(self, x: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Every row trains. Training by sampling also needs them all here, the one place a model sees them:
        the sampler counts and indexes them by level, and `train_step` draws its real rows from them."""
        spans = self._level_spans()
        self.level_sampler = LevelSampler.from_rows(x, spans) if spans else None
        self._training_rows = x if spans else None
        return x, c

    def latent_codes(self) -> list[LatentCode]:
        return noise_codes(self.config.latent_dim)

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        level = None
        if self.level_sampler is not None:  # the levels at their real rates, so rows come back at them
            level = self.level_sampler.sampling_condition(z.shape[0], generator).vector.to(z.device)
        return self._generator_output(z, c, level, generator)[1]

    def _generator_output(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None,
        level: torch.Tensor | None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """z (n, latent_dim) [+ condition (n, cond_dim)] [+ conditional vector (n, level_dim)] -> G's raw
        output and the encoded rows it stands for, both (n, data_dim)."""
        raw = self.networks["generator"](torch.cat([part for part in (z, c, level) if part is not None], dim=1))
        # Training feeds softmax probabilities to the critic; sampling draws each category from
        # them (Gumbel with a low temperature), so rare levels still appear at their rate.
        mode = "softmax" if self.networks["generator"].training else "gumbel"
        return raw, self.with_condition(self.head(raw, mode=mode, generator=generator), c)

    def _pack(self, rows: torch.Tensor, c: torch.Tensor | None, level: torch.Tensor | None) -> torch.Tensor:
        """(n, d) rows [+ (n, k) conditions] [+ (n, l) conditional vectors] -> (n // pac, pac * (d + k + l))
        critic inputs."""
        x = torch.cat([part for part in (rows, c, level) if part is not None], dim=1)
        pac = self.config.pac
        n = x.shape[0] // pac * pac
        return x[:n].reshape(n // pac, -1)

    def _training_condition(self, n: int, device: torch.device) -> tuple[LevelDraw | None, torch.Tensor | None]:
        """A training draw of n conditional vectors and the vectors (n, level_dim) on `device`; (None, None) off."""
        if self.level_sampler is None:
            return None, None
        draw = self.level_sampler.training_condition(n)
        return draw, draw.vector.to(device)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        cfg = self.config
        critic = self.networks["critic"]
        n = x.shape[0]
        for _ in range(cfg.n_critic):
            draw, level = self._training_condition(n, x.device)
            real = x
            if draw is not None:  # the batch's size is kept, its rows are replaced by rows holding the levels
                assert self.level_sampler is not None and self._training_rows is not None
                real = self._training_rows[self.level_sampler.matching_rows(draw).to(x.device)]
            with torch.no_grad():
                _, fake = self._generator_output(torch.randn(n, cfg.latent_dim, device=x.device), c, level)
            real_in, fake_in = self._pack(real, c, level), self._pack(fake, c, level)
            wasserstein = critic(real_in).mean() - critic(fake_in).mean()
            penalty = gradient_penalty(critic, real_in, fake_in)
            c_loss = -wasserstein + cfg.gp_weight * penalty
            self.opt_c.zero_grad(set_to_none=True)
            c_loss.backward()
            self.opt_c.step()

        draw, level = self._training_condition(n, x.device)
        raw, fake = self._generator_output(torch.randn(n, cfg.latent_dim, device=x.device), c, level)
        g_loss = -critic(self._pack(fake, c, level)).mean()
        objective = g_loss
        if draw is not None:  # G's row must hold the level its conditional vector names
            assert self.level_sampler is not None
            objective = g_loss + self.level_sampler.cross_entropy(raw, draw)
        self.opt_g.zero_grad(set_to_none=True)
        objective.backward()
        self.opt_g.step()
        return {
            "critic_loss": c_loss.item(),
            "generator_loss": g_loss.item(),
            "wasserstein_estimate": wasserstein.item(),
            "gradient_penalty": penalty.item(),
        }

    # ----- the model's state: the sampler's level counts ----------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        meta, tensors = super().to_state()
        if self.level_sampler is not None:
            meta["level_sampler"] = self.level_sampler.to_dict()
        return meta, tensors

    @classmethod
    def from_state(cls, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> GenerativeModel:
        config = meta.get("config")
        if isinstance(config, dict) and "training_by_sampling" not in config:
            # Saved before the setting existed, so trained without it: it loads without it and samples as it did.
            meta = {**meta, "config": {**config, "training_by_sampling": False}}
        model = super().from_state(meta, tensors)
        assert isinstance(model, WGANGP)
        spans = model._level_spans()
        if spans:
            model.level_sampler = LevelSampler.from_dict(meta.get("level_sampler"), spans)
        return model
