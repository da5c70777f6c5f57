"""Adversarial autoencoder (Makhzani et al., 2015): an autoencoder whose code is shaped by a GAN.

E: encoded item (n, data_dim) -> code (n, code_dim), a plain deterministic MLP.
Decoder: code (n, code_dim) [+ one-hot label (n, cond_dim)] -> raw item (n, data_dim), through
the span-aware head (tanh values, Gumbel-softmax categories).
D: code (n, code_dim) -> one logit, "drawn from the prior" vs "produced by E".
Each step does three updates, as in the paper: reconstruction (E and decoder), then D on prior
samples vs E(x), then E alone as a generator trying to make D call its codes prior samples.
The result is an autoencoder whose codes *fill the chosen prior*: decode any prior sample and
you get a plausible item, and every slider position is a place real data lives.

Supervised variant (fit with `condition=`): the decoder also receives the label, so the code no
longer needs to say *which* class an item is and keeps only its *style*; the same style code
decoded with another label draws that other class in the same style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.errors import ModelError
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.nets import SpanHead, mlp, span_reconstruction_loss
from gen_models.training.config import MAX_LAYER_SIZE, TrainConfig, check_choice, check_number, check_sizes, check_whole

PRIORS = ("gaussian", "mixture", "uniform")


@dataclass
class AAEConfig(TrainConfig):
    batch_size: int = 100  # the paper's batch size; small batches give the adversarial game many steps
    auto_steps: int = 3000  # three updates a step; fewer leave the codes off the prior
    code_dim: int = 2  # 2 = the classic picture: every item is a point on a plane you can look at
    prior: str = "gaussian"  # "gaussian" | "mixture" (components on a circle) | "uniform"
    prior_std: float = 5.0  # std of each code dimension under the prior (the paper's 2-D demo uses 5)
    mixture_components: int = 10  # "mixture" only: this many Gaussians evenly spaced on a circle
    encoder_hidden: tuple[int, ...] = (512, 512)  # 784-512-512-2 is the classic MNIST AAE
    decoder_hidden: tuple[int, ...] = (512, 512)
    discriminator_hidden: tuple[int, ...] = (256, 256)  # D sees only a few numbers: it can stay small
    lr: float = 1e-3  # Adam, reconstruction step (encoder + decoder)
    adversarial_lr: float = 2e-4  # Adam betas (0.5, 0.999), discriminator and encoder-as-generator
    tau: float = 0.2  # Gumbel-softmax temperature for categorical columns when sampling tables

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("code_dim", self.code_dim, 1, MAX_LAYER_SIZE)
        check_choice("prior", self.prior, PRIORS)
        check_number("prior_std", self.prior_std, 0, low_open=True)
        check_whole("mixture_components", self.mixture_components, 1)
        if self.prior == "mixture" and self.code_dim < 2:
            raise ModelError(
                f"A mixture prior puts its components on a circle, so code_dim must be at least 2, not {self.code_dim}."
            )
        check_sizes("encoder_hidden", self.encoder_hidden)
        check_sizes("decoder_hidden", self.decoder_hidden)
        check_sizes("discriminator_hidden", self.discriminator_hidden)
        check_number("lr", self.lr, 0, low_open=True)
        check_number("adversarial_lr", self.adversarial_lr, 0, low_open=True)
        check_number("tau", self.tau, 0, low_open=True)


class AAE(GenerativeModel):
    name = "aae"
    description = MODEL_DESCRIPTIONS["aae"]
    Config = AAEConfig
    config: AAEConfig
    supports_condition = True  # supervised variant: the label goes to the decoder, the code keeps style
    has_encoder = True

    # ----- networks ------------------------------------------------------------------------
    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        self.networks = nn.ModuleDict(
            {
                "encoder": mlp(data_dim, cfg.encoder_hidden, cfg.code_dim, negative_slope=0),
                "decoder": mlp(cfg.code_dim + cond_dim, cfg.decoder_hidden, data_dim, negative_slope=0),
                "discriminator": mlp(cfg.code_dim, cfg.discriminator_hidden, 1),
            }
        )
        self.spans = self.encoder.spans
        self.head = SpanHead(self.spans, tau=cfg.tau)
        encoder, decoder = self.networks["encoder"], self.networks["decoder"]
        betas = (0.5, 0.999)
        self.opt_ae = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=cfg.lr)
        self.opt_d = torch.optim.Adam(self.networks["discriminator"].parameters(), lr=cfg.adversarial_lr, betas=betas)
        self.opt_e = torch.optim.Adam(encoder.parameters(), lr=cfg.adversarial_lr, betas=betas)

    # ----- the prior -----------------------------------------------------------------------------
    def _mixture_geometry(self) -> tuple[float, float]:
        """(radius of the circle of component centres, std of each component)."""
        # The centres sit at radius prior_std; each component is narrow enough that its
        # neighbours (2*pi*radius/K apart) stay separated by ~6 of its stds with K = 10.
        std = self.config.prior_std * math.pi / (3 * self.config.mixture_components)
        return self.config.prior_std, std

    def sample_prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, code_dim) draws from the prior the discriminator enforces."""
        cfg = self.config
        if cfg.prior == "gaussian":
            return cfg.prior_std * torch.randn(n, cfg.code_dim, generator=generator)
        if cfg.prior == "uniform":
            half = math.sqrt(3) * cfg.prior_std  # uniform on [-a, a] has std a / sqrt(3)
            return half * (2 * torch.rand(n, cfg.code_dim, generator=generator) - 1)
        radius, std = self._mixture_geometry()
        component = torch.randint(cfg.mixture_components, (n,), generator=generator)
        angle = 2 * math.pi * component.float() / cfg.mixture_components
        centre = torch.zeros(n, cfg.code_dim)
        centre[:, 0], centre[:, 1] = radius * torch.cos(angle), radius * torch.sin(angle)
        return centre + std * torch.randn(n, cfg.code_dim, generator=generator)

    def latent_codes(self) -> list[LatentCode]:
        cfg = self.config
        if self.condition_column is not None:
            what = f"how the item is drawn, with '{self.condition_column}' given separately"
            kind = "style"
        else:
            what = "the encoder's coordinate, shaped by the discriminator to fill the prior"
            kind = "code"
        if cfg.prior == "uniform":
            half = math.sqrt(3) * cfg.prior_std
            low, high, prior = -half, half, "uniform"
        elif cfg.prior == "mixture":
            # "normal" only roughly describes one dimension of the mixture; `draw_latent` draws the real thing.
            radius, std = self._mixture_geometry()
            low, high, prior = -(radius + 3 * std), radius + 3 * std, "normal"
        else:
            low, high, prior = -3 * cfg.prior_std, 3 * cfg.prior_std, "normal"
        return [
            LatentCode(
                name=f"z{i}",
                kind="continuous",
                meaning=f"{kind} dimension {i}: {what}",
                low=low,
                high=high,
                prior=prior,
                std=cfg.prior_std,
                role="code",
            )
            for i in range(cfg.code_dim)
        ]

    def draw_latent(self, n: int, codes: dict | None, generator: torch.Generator) -> torch.Tensor:
        """Like the base class, but a mixture prior is drawn as a mixture (not dimension by dimension)."""
        z = super().draw_latent(n, codes, generator)  # also validates the names and values in `codes`
        if self.config.prior != "mixture":
            return z
        mixture = self.sample_prior(n, generator)
        for i, code in enumerate(self.latent_codes()):
            if code.name in (codes or {}):
                mixture[:, i] = z[:, i]
        return mixture

    # ----- one step ----------------------------------------------------------------------------
    def _encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded rows with the condition column's span zeroed (tables only).

        The supervised variant must not let the encoder read the label: the code should hold
        what the label does not say. Images and sequences keep their label outside x already.
        """
        if self.condition_column is None or not self.encoder.condition_in_rows:
            return x
        span = self.encoder.category_span(self.condition_column)
        x = x.clone()
        x[:, span.start : span.start + span.width] = 0.0
        return x

    def _decode_raw(self, code: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return self.networks["decoder"](code if c is None else torch.cat([code, c], dim=1))

    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        rows = self.head(self._decode_raw(z, c), mode="gumbel", generator=generator)
        return self.with_condition(rows, c)

    def _discriminate(self, code: torch.Tensor) -> torch.Tensor:
        # Divide by prior_std so D sees unit-scale inputs whatever the prior's width.
        return self.networks["discriminator"](code / self.config.prior_std)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        n = x.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(n, 1, device=x.device), torch.zeros(n, 1, device=x.device)
        encoder = self.networks["encoder"]
        x_in = self._encoder_input(x)

        # 1. Reconstruction: encoder + decoder.
        code = encoder(x_in)
        reconstruction = span_reconstruction_loss(self._decode_raw(code, c), x, self.spans).mean()
        self.opt_ae.zero_grad(set_to_none=True)
        reconstruction.backward()
        self.opt_ae.step()

        # 2. Discriminator: prior samples are "real", the encoder's codes are "fake". (The codes
        # from before step 1's update are one small step stale; reusing them saves a forward pass.)
        prior = self.sample_prior(n).to(x.device)
        d_loss = bce(self._discriminate(prior), ones) + bce(self._discriminate(code.detach()), zeros)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # 3. Encoder as generator: make its codes pass for prior samples (non-saturating loss).
        g_loss = bce(self._discriminate(encoder(x_in)), ones)
        self.opt_e.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_e.step()
        return {
            "reconstruction_loss": reconstruction.item(),
            "discriminator_loss": d_loss.item(),
            "encoder_adversarial_loss": g_loss.item(),
        }

    # ----- encoding real items -------------------------------------------------------------------
    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Codes of encoded items: (n, data_dim) -> (n, code_dim), on the same axes as the sliders."""
        return self.networks["encoder"](self._encoder_input(x))
