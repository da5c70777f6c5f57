"""InfoGAN (Chen et al., 2016): a GAN whose chosen codes are made to mean something, without labels.

The generator's input is noise plus *codes*: one categorical code c1 (`n_levels` levels, uniform)
and `n_continuous` continuous codes c2, c3, ... (uniform on [-1, 1]). An inference head Q, which
shares the discriminator's body, tries to read the codes back from a generated item: logits for
c1, a Gaussian mean (optionally a log-std too) for each continuous code. Adding Q's error (a
lower bound on the mutual information between codes and item) to the losses of G and of D+Q
pushes G to let each code control something Q can see. On digits, c1 tends to become the digit
class and the continuous codes style factors such as width and slant: found, not taught.

A common failure on digits is c1 splitting two look-alike digits (4 and 9) by slant instead of by
shape. `c1_tilt` (images only; 20 degrees by default, 0 for the paper's InfoGAN) adds one
label-free term against it: Q must also read c1 from a copy of each generated image rotated by a
random angle of up to `c1_tilt` degrees, so levels that differ only by slant cannot be read back.
On MNIST-5k this took c1's level-to-digit matching from 0.51-0.89 over 16 seeds to 0.93-0.97 over
4 (see the infogan_mnist card).

Networks (`self.networks`):
- "generator": [c1 one-hot, continuous codes, noise] (n, latent_width) -> raw item (n, data_dim);
- "discriminator": item -> features (n, feature_dim), the body D and Q share;
- "real_head": features -> one logit, "real" vs "generated";
- "q_head": features -> c1 logits (n, n_levels) + continuous means (n, n_continuous)
  [+ log-stds (n, n_continuous) with `learn_std`].
Images whose height and width are multiples of 4 get small DCGAN-style conv nets (the paper's
MNIST nets, widths configurable); tables and other images get MLPs ending in the span head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.catalogue import MODEL_DESCRIPTIONS
from gen_models.models.base import GenerativeModel, LatentCode, noise_codes
from gen_models.models.nets import SpanHead, mlp
from gen_models.training.config import TrainConfig, check_flag, check_number, check_sizes, check_whole

CODE_PRIOR = 1.0  # continuous codes are drawn uniformly from [-CODE_PRIOR, CODE_PRIOR] ...
CODE_SLIDER = 2.0  # ... and their sliders go to ±2, so users can extrapolate as the paper does


@dataclass
class InfoGANConfig(TrainConfig):
    batch_size: int = 100  # the paper's batch size for MNIST
    auto_steps: int = 2000  # enough for the codes to settle on tables; digits need more (see the recipe)
    noise_dim: int = 62  # plain noise dimensions (the paper's 62 for MNIST)
    n_levels: int = 10  # levels of the categorical code c1 (10: one per digit, if it finds them)
    n_continuous: int = 2  # continuous codes c2, c3, ...
    info_weight: float = 1.0  # weight of the categorical mutual-information term (the paper's lambda)
    continuous_weight: float = 0.1  # weight of the continuous terms: smaller, or they drown c1 out
    learn_std: bool = False  # Q also predicts a log-std per continuous code (else a fixed std of 1)
    generator_hidden: tuple[int, ...] = (256, 256)  # MLP nets (tables, odd-sized images)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    conv_channels: int = 64  # conv nets: D's first conv layer width (doubled in the second; G mirrors it)
    fc_width: int = 1024  # conv nets: the fully connected layer in G and D (the paper's 1024)
    q_hidden: int = 128  # Q's own hidden layer on top of the shared features
    lr_generator: float = 1e-3  # the paper's rates: G (and the info term) learn faster than D
    lr_discriminator: float = 2e-4
    dropout: float = 0.0  # MLP discriminator dropout (0: Q needs the features undisturbed)
    tau: float = 0.2  # Gumbel-softmax temperature for categorical table columns
    c1_tilt: float = 20.0  # images: Q also reads c1 from copies rotated up to this many degrees (0: the paper)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_whole("noise_dim", self.noise_dim, 0)
        check_whole("n_levels", self.n_levels, 2)
        check_whole("n_continuous", self.n_continuous, 0)
        check_number("info_weight", self.info_weight, 0)
        check_number("continuous_weight", self.continuous_weight, 0)
        check_flag("learn_std", self.learn_std)
        check_sizes("generator_hidden", self.generator_hidden)
        # The last discriminator layer is the features D and Q share, so there must be one.
        check_sizes("discriminator_hidden", self.discriminator_hidden, allow_empty=False)
        check_whole("conv_channels", self.conv_channels, 1)
        check_whole("fc_width", self.fc_width, 1)
        check_whole("q_hidden", self.q_hidden, 1)
        check_number("lr_generator", self.lr_generator, 0, low_open=True)
        check_number("lr_discriminator", self.lr_discriminator, 0, low_open=True)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("tau", self.tau, 0, low_open=True)
        check_number("c1_tilt", self.c1_tilt, 0)  # an angle in degrees


class _Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


def conv_generator(in_dim: int, height: int, width: int, channels: int, fc_width: int) -> nn.Sequential:
    """(n, in_dim) -> (n, height * width) in [-1, 1]; height and width multiples of 4.

    fc -> fc -> (2*channels, H/4, W/4) -> transposed conv to (channels, H/2, W/2) -> to (1, H, W),
    with batch norm and ReLU in between (the InfoGAN paper's MNIST generator at channels=64).
    """
    h4, w4 = height // 4, width // 4
    return nn.Sequential(
        nn.Linear(in_dim, fc_width),
        nn.BatchNorm1d(fc_width),
        nn.ReLU(),
        nn.Linear(fc_width, 2 * channels * h4 * w4),
        nn.BatchNorm1d(2 * channels * h4 * w4),
        nn.ReLU(),
        _Reshape(2 * channels, h4, w4),
        nn.ConvTranspose2d(2 * channels, channels, kernel_size=4, stride=2, padding=1),
        nn.BatchNorm2d(channels),
        nn.ReLU(),
        nn.ConvTranspose2d(channels, 1, kernel_size=4, stride=2, padding=1),
        nn.Tanh(),
        nn.Flatten(),
    )


def conv_discriminator(height: int, width: int, channels: int, fc_width: int) -> nn.Sequential:
    """(n, height * width) -> (n, fc_width) features; two stride-2 convs with LeakyReLU, then fc."""
    h4, w4 = height // 4, width // 4
    return nn.Sequential(
        _Reshape(1, height, width),
        nn.Conv2d(1, channels, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(0.1),
        nn.Conv2d(channels, 2 * channels, kernel_size=4, stride=2, padding=1),
        nn.BatchNorm2d(2 * channels),
        nn.LeakyReLU(0.1),
        nn.Flatten(),
        nn.Linear(2 * channels * h4 * w4, fc_width),
        nn.BatchNorm1d(fc_width),
        nn.LeakyReLU(0.1),
    )


class InfoGAN(GenerativeModel):
    name = "infogan"
    description = MODEL_DESCRIPTIONS["infogan"]
    Config = InfoGANConfig
    config: InfoGANConfig
    data_kinds = ("table", "images")

    # ----- networks ------------------------------------------------------------------------
    @property
    def code_width(self) -> int:
        """Width of the codes at the front of the latent vector: c1 one-hot + continuous codes."""
        return self.config.n_levels + self.config.n_continuous

    @property
    def uses_conv(self) -> bool:
        if self.layout.kind != "images":
            return False
        height, width = self.encoder.shape
        return height % 4 == 0 and width % 4 == 0

    @property
    def tilts(self) -> bool:
        """Whether the tilted c1 term is on: `c1_tilt` > 0 and image data (tables have no slant)."""
        return self.config.c1_tilt > 0 and self.layout.kind == "images"

    def build(self, data_dim: int, cond_dim: int) -> None:
        cfg = self.config
        assert self.encoder is not None
        in_dim = self.code_width + cfg.noise_dim
        if self.uses_conv:
            height, width = self.encoder.shape
            generator = conv_generator(in_dim, height, width, cfg.conv_channels, cfg.fc_width)
            body = conv_discriminator(height, width, cfg.conv_channels, cfg.fc_width)
            feature_dim = cfg.fc_width
        else:
            generator = mlp(in_dim, cfg.generator_hidden, data_dim, negative_slope=0, batch_norm=True)
            # The body's last hidden layer is the shared feature layer: an MLP minus its output layer.
            body = mlp(data_dim, cfg.discriminator_hidden[:-1], cfg.discriminator_hidden[-1], dropout=cfg.dropout)
            body.append(nn.LeakyReLU(0.2))
            feature_dim = cfg.discriminator_hidden[-1]
        q_out = cfg.n_levels + cfg.n_continuous * (2 if cfg.learn_std else 1)
        self.networks = nn.ModuleDict(
            {
                "generator": generator,  # first: the NaN guard test breaks the first network's weights
                "discriminator": body,
                "real_head": nn.Linear(feature_dim, 1),
                "q_head": nn.Sequential(
                    nn.Linear(feature_dim, cfg.q_hidden),
                    nn.BatchNorm1d(cfg.q_hidden),
                    nn.LeakyReLU(0.1),
                    nn.Linear(cfg.q_hidden, q_out),
                ),
            }
        )
        self.head = SpanHead(self.encoder.spans, tau=cfg.tau)
        betas = (0.5, 0.999)
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.lr_generator, betas=betas)
        # D's side of the game: body, real/fake head and Q together (Q's loss also shapes the body).
        d_params = [p for name in ("discriminator", "real_head", "q_head") for p in self.networks[name].parameters()]
        self.opt_d = torch.optim.Adam(d_params, lr=cfg.lr_discriminator, betas=betas)

    # ----- latent codes ----------------------------------------------------------------------
    def latent_codes(self) -> list[LatentCode]:
        cfg = self.config
        codes = [
            LatentCode(
                name="c1",
                kind="categorical",
                meaning=(
                    f"categorical code with {cfg.n_levels} levels: meant to capture a discrete kind of item "
                    "(on digits, which digit); training looks for it without labels, so levels are numbered "
                    "arbitrarily. The model card reports how well the levels match real classes."
                ),
                levels=tuple(range(cfg.n_levels)),
                prior="categorical",
            )
        ]
        for i in range(cfg.n_continuous):
            codes.append(
                LatentCode(
                    name=f"c{i + 2}",
                    kind="continuous",
                    meaning=(
                        f"continuous code {i + 1}: meant to capture one smooth style factor (on digits, e.g. "
                        f"width or slant), found without labels; trained on [-{CODE_PRIOR:g}, {CODE_PRIOR:g}], "
                        "beyond that the slider extrapolates. The model card reports what it measurably changes."
                    ),
                    low=-CODE_SLIDER,
                    high=CODE_SLIDER,
                    prior="uniform",
                    prior_range=(-CODE_PRIOR, CODE_PRIOR),
                )
            )
        return codes + noise_codes(cfg.noise_dim)

    def sample_codes(self, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training draws: c1 level indices (n,), continuous codes (n, n_continuous), latent (n, width)."""
        cfg = self.config
        levels = torch.randint(cfg.n_levels, (n,), device=device)
        continuous = (torch.rand(n, cfg.n_continuous, device=device) * 2 - 1) * CODE_PRIOR
        noise = torch.randn(n, cfg.noise_dim, device=device)
        z = torch.cat([nn.functional.one_hot(levels, cfg.n_levels).float(), continuous, noise], dim=1)
        return levels, continuous, z

    # ----- forward passes --------------------------------------------------------------------
    def generate(
        self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z: (n, n_levels + n_continuous + noise_dim) -> encoded items (n, data_dim)."""
        raw = self.networks["generator"](z)
        if self.uses_conv:
            return raw  # already tanh: an image is one tanh span
        return self.head(raw, mode="gumbel", generator=generator)

    def infer_codes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Q's reading of encoded items x (n, data_dim): see `read_codes`."""
        return self.read_codes(self.networks["discriminator"](x))

    @torch.no_grad()
    def read_real_codes(self, data: pd.DataFrame) -> np.ndarray:
        """Q's reading of real items' named codes: (n_items, 1 + n_continuous) float64.

        Column 0 is c1's most likely level, the rest c2, c3, ... (Q's means). The noise is not read:
        Q only learns the codes, which is why InfoGAN has no full encoder (`has_encoder` stays False).
        """
        encoder = self._require_fitted()
        x = torch.from_numpy(encoder.transform(data)).to(self.device)
        with self._eval_mode():
            logits, means, _ = self.infer_codes(x)
        return torch.cat([logits.argmax(dim=1, keepdim=True).double(), means.double()], dim=1).cpu().numpy()

    def read_codes(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Q's reading of the codes from body features (n, feature_dim).

        Returns c1 logits (n, n_levels), continuous means (n, n_continuous) and, with `learn_std`,
        their log-stds (n, n_continuous) (else None).
        """
        cfg = self.config
        out = self.networks["q_head"](features)
        logits = out[:, : cfg.n_levels]
        means = out[:, cfg.n_levels : cfg.n_levels + cfg.n_continuous]
        log_std = out[:, cfg.n_levels + cfg.n_continuous :].clamp(-5.0, 2.0) if cfg.learn_std else None
        return logits, means, log_std

    def info_losses(
        self, features: torch.Tensor, levels: torch.Tensor, continuous: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Q's negative log-likelihoods of the codes behind body features (n, feature_dim): scalars.

        Returns (categorical, continuous). Minimising them maximises InfoGAN's lower bound on the
        mutual information between codes and items. Cross-entropy takes the raw logits (not a
        softmax: PyTorch-GAN's mistake).
        """
        logits, means, log_std = self.read_codes(features)
        categorical = nn.functional.cross_entropy(logits, levels)
        if self.config.n_continuous == 0:
            return categorical, categorical.new_zeros(())
        if log_std is None:  # fixed unit std: the Gaussian NLL is half the squared error, plus a constant
            continuous_nll = 0.5 * (continuous - means) ** 2
        else:
            continuous_nll = log_std + 0.5 * ((continuous - means) / log_std.exp()) ** 2
        return categorical, continuous_nll.sum(dim=1).mean()

    def tilted(self, images: torch.Tensor) -> torch.Tensor:
        """Encoded images (n, H*W) each rotated by its own random angle within ±`c1_tilt` degrees.

        Rotation about the centre by bilinear resampling; the background (-1 in tanh units) fills
        the corners. Differentiable, so G's loss reaches through it.
        """
        height, width = self.encoder.shape
        n = images.shape[0]
        angle = (torch.rand(n, device=images.device) * 2 - 1) * torch.pi * self.config.c1_tilt / 180
        cos, sin = angle.cos(), angle.sin()
        zero = torch.zeros_like(angle)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        grid = nn.functional.affine_grid(theta, [n, 1, height, width], align_corners=False)
        # Shift to 0 background so zero padding means "no ink", then back to tanh units.
        shifted = images.reshape(n, 1, height, width) + 1
        rotated = nn.functional.grid_sample(shifted, grid, align_corners=False, padding_mode="zeros")
        return rotated.reshape(n, height * width) - 1

    def tilted_c1_loss(self, fake: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
        """Q's cross-entropy for c1 read from randomly rotated copies of generated images: a scalar.

        With `c1_tilt` > 0, a level that differs from another only by slant cannot be read back
        once images are tilted, so G is pushed to make the levels differ in shape (on digits: in
        which digit) and to leave slant to the continuous codes. Zero when the term is off.
        """
        if not self.tilts:
            return fake.new_zeros(())
        logits, _, _ = self.read_codes(self.networks["discriminator"](self.tilted(fake)))
        return nn.functional.cross_entropy(logits, levels)

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        cfg = self.config
        n = x.shape[0]
        bce = nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(n, 1, device=x.device), torch.zeros(n, 1, device=x.device)
        body, real_head = self.networks["discriminator"], self.networks["real_head"]

        levels, continuous, z = self.sample_codes(n, x.device)
        fake = self.generate(z, None)

        # D + Q: tell real from generated, and read the codes back from generated items. One body
        # pass per batch serves both heads (real and generated batches stay apart for batch norm).
        fake_features = body(fake.detach())
        cat_loss, cont_loss = self.info_losses(fake_features, levels, continuous)
        cat_loss = cat_loss + self.tilted_c1_loss(fake.detach(), levels)
        info = cfg.info_weight * cat_loss + cfg.continuous_weight * cont_loss
        d_adv = bce(real_head(body(x)), ones) + bce(real_head(fake_features), zeros)
        self.opt_d.zero_grad(set_to_none=True)
        (d_adv + info).backward()
        self.opt_d.step()

        # G: fool D (non-saturating loss) while keeping its codes readable by Q.
        fake_features = body(fake)
        g_cat, g_cont = self.info_losses(fake_features, levels, continuous)
        g_tilted = self.tilted_c1_loss(fake, levels)
        g_adv = bce(real_head(fake_features), ones)
        self.opt_g.zero_grad(set_to_none=True)
        (g_adv + cfg.info_weight * (g_cat + g_tilted) + cfg.continuous_weight * g_cont).backward()
        self.opt_g.step()

        losses = {
            "discriminator_loss": d_adv.item(),
            "generator_loss": g_adv.item(),
            "categorical_info_loss": g_cat.item(),
        }
        if self.tilts:
            losses["tilted_categorical_info_loss"] = g_tilted.item()
        if cfg.n_continuous:
            losses["continuous_info_loss"] = g_cont.item()
        return losses
