"""A tiny GAN on 2-D points, trained one step at a time, to watch it learn — or collapse.

The teaching playground: a few thousand real points in the plane (a toy distribution such as the
ring of 8 Gaussians, or points a person drew), a small generator that turns noise into points and a
small discriminator (vanilla GAN) or critic (WGAN-GP) that scores points. `Playground.step` advances
training by a few generator updates at a time so an app can redraw between calls; `generated`,
`surface` and `history` are what it draws.

Everything is deterministic given the seed: the networks, the batches, the noise and the gradient
penalty's interpolation all draw from the playground's own `torch.Generator`, never from torch's
global one, because a web server runs many sessions (and other training threads) in one process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from torch import nn

from gen_models.data.datasets import TOY_NAMES, make_toy
from gen_models.data.errors import DataError
from gen_models.errors import ModelError
from gen_models.models.nets import gradient_penalty, mlp

__all__ = [
    "MIN_POINTS",
    "VARIANTS",
    "Playground",
    "PlaygroundConfig",
    "points_from_frame",
    "points_in_cells",
    "recommended_config",
    "ring_centres",
    "ring_scores",
]

VARIANTS = {
    "gan": "Vanilla GAN",
    "wgan_gp": "WGAN-GP",
}
MIN_POINTS = 10  # fewer drawn points than this are not a distribution worth learning
MAX_POINTS = 100_000  # drawn or uploaded points beyond this are a mistake, not a toy

# The ring toy as `make_toy("ring")` makes it: 8 Gaussians, std 0.02, centred on a circle of radius 2.
RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.02
HIGH_QUALITY_STDS = 3.0  # a generated point within 3 std of a centre is "high quality" (Metz et al. 2017)
LANDED_RADIUS = 0.25  # a generated point this close to a centre has landed on that mode (see ring_scores)


@dataclass(frozen=True)
class PlaygroundConfig:
    """Settings of one playground; changing any of them means a new model (see `Playground.reset`)."""

    variant: str = "gan"  # "gan" (discriminator, cross-entropy) or "wgan_gp" (critic + gradient penalty)
    # The generator learns 4x faster than the discriminator by default: then a vanilla GAN's generator
    # keeps chasing whatever spot its discriminator likes best at the moment, so all its points gather
    # in one clump that hops round the ring (mode collapse, the thing to see here). A WGAN-GP critic,
    # trained 5 times per generator step and kept smooth by its penalty, still spreads them over all 8
    # modes. With equal rates the vanilla GAN usually covers the ring too (bench/bench_playground.py).
    lr_generator: float = 2e-3  # Adam learning rate of the generator
    lr_discriminator: float = 5e-4  # Adam learning rate of the discriminator or critic
    d_steps: int = 1  # discriminator (critic) updates per generator update; see `recommended_config`
    batch_size: int = 128  # real and generated points per update
    noise_dim: int = 2  # size of the generator's input noise: 2-D in, 2-D out, as in the classic toy demos
    hidden: int = 64  # width of each hidden layer, both networks (wider is slower on a CPU, not needed here)
    layers: int = 3  # hidden layers, both networks
    # WGAN-GP only: weight of the gradient penalty. The paper's 10 kept the generator overshooting on
    # this tight ring (measured: 0-1 of 8 modes after 1,000 steps, against all 8 with 1.0); the
    # authors' own script for the toy sets uses 0.1.
    gp_weight: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ModelError(f"unknown GAN variant {self.variant!r}; choose one of: {', '.join(VARIANTS)}")
        if not (self.lr_generator > 0 and self.lr_discriminator > 0):
            raise ModelError("learning rates must be positive")
        if self.d_steps < 1 or self.batch_size < 2 or self.noise_dim < 1 or self.hidden < 1 or self.layers < 1:
            raise ModelError("d_steps, noise_dim, hidden and layers must be at least 1, and batch_size at least 2")

    @property
    def adam_betas(self) -> tuple[float, float]:
        """Adam's (beta1, beta2): each variant's usual choice.

        beta1 = 0.5 (DCGAN) damps momentum for both; WGAN-GP's paper also lowers beta2 to 0.9 so
        the critic's step sizes follow its quickly changing gradients.
        """
        return (0.5, 0.999) if self.variant == "gan" else (0.5, 0.9)


def recommended_config(variant: str, **changes: object) -> PlaygroundConfig:
    """The settings each variant starts from, with `changes` applied (e.g. ``seed=3``).

    Both share the network sizes and learning rates; WGAN-GP trains its critic 5 times per
    generator step, as in its paper, because its loss only guides well near the critic's optimum.
    """
    if variant not in VARIANTS:
        raise ModelError(f"unknown GAN variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    d_steps = 5 if variant == "wgan_gp" else 1
    return PlaygroundConfig(**{"variant": variant, "d_steps": d_steps, **changes})


def ring_centres() -> np.ndarray:
    """The 8 centres of the ring toy, (8, 2), in the order of `make_toy`'s ``component`` column."""
    angle = 2.0 * np.pi * np.arange(RING_MODES) / RING_MODES
    return RING_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def ring_scores(points: np.ndarray) -> dict[str, float | int | list[int]]:
    """How well (n, 2) points cover the ring of 8 Gaussians.

    A point *lands on* a mode when it lies within 0.25 of its centre (neighbouring centres are
    1.53 apart), and is *high quality* when it lies within 3 std (0.06) of it. A mode is *covered*
    when at least 1/8 of its fair share of the points (n / 64) land on it: a few strays do not
    count, but a mode is covered even while the generator still favours others, and points spread
    evenly round the circle cover all 8 while few of them are high quality. Returns
    ``modes_covered`` (0-8), ``high_quality`` (fraction of all points, 0-1) and ``per_mode`` (how
    many points land on each mode, in the order of `ring_centres`).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0:
        return {"modes_covered": 0, "high_quality": 0.0, "per_mode": [0] * RING_MODES}
    distances = np.linalg.norm(points[:, None, :] - ring_centres()[None, :, :], axis=2)  # (n, 8)
    nearest, distance = distances.argmin(axis=1), distances.min(axis=1)
    per_mode = np.bincount(nearest[distance <= LANDED_RADIUS], minlength=RING_MODES)
    return {
        "modes_covered": int((per_mode >= len(points) / RING_MODES / 8).sum()),
        "high_quality": float((distance <= HIGH_QUALITY_STDS * RING_STD).mean()),
        "per_mode": per_mode.tolist(),
    }


def points_from_frame(frame: pd.DataFrame) -> np.ndarray:
    """The (n, 2) points in a table: columns ``x`` and ``y`` if it has them, else its first two numeric columns.

    Raises DataError when the table has fewer than two numeric columns, or when the points are
    too few, too many or not all finite (see `Playground`).
    """
    # True/False columns count as numbers to pandas, but are not coordinates.
    numeric = [c for c in frame.columns if is_numeric_dtype(frame[c]) and not is_bool_dtype(frame[c])]
    named = {str(c).strip().lower(): c for c in numeric}
    if "x" in named and "y" in named:
        columns = [named["x"], named["y"]]
    elif len(numeric) >= 2:
        columns = numeric[:2]
    else:
        found = ", ".join(map(str, numeric)) if numeric else "none"
        raise DataError(
            f"the table needs two columns of numbers (x and y); numeric columns found: {found} "
            f"(of {len(frame.columns)} column(s))"
        )
    return _validated_points(frame[columns].to_numpy(dtype=np.float64))


def points_in_cells(cells: np.ndarray, spacing: float, per_cell: int, seed: int = 0) -> np.ndarray:
    """`per_cell` points drawn uniformly inside each square cell of side `spacing` centred on (k, 2) `cells`.

    How a selection on a grid of dots becomes a drawn distribution: every selected dot fills its
    own square, so a lasso round an area fills that area evenly. Returns (k * per_cell, 2).
    """
    cells = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-spacing / 2, spacing / 2, size=(len(cells), per_cell, 2))
    return (cells[:, None, :] + offsets).reshape(-1, 2)


def _validated_points(points: np.ndarray) -> np.ndarray:
    """The user's points as a float32 (n, 2) array, or a DataError saying what is wrong."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataError(f"the points must be numbers: {error}") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise DataError(f"the points must be pairs of numbers (x, y); got an array of shape {array.shape}")
    if len(array) < MIN_POINTS:
        raise DataError(f"add more points: at least {MIN_POINTS} are needed to learn from, and there are {len(array)}")
    if len(array) > MAX_POINTS:
        raise DataError(f"too many points: at most {MAX_POINTS:,} are allowed, and there are {len(array):,}")
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataError(
            f"{int(bad.sum())} point(s) are missing a coordinate or are not finite numbers (first at row {row})",
            row=row,
        )
    return array.astype(np.float32)


def _init_weights(network: nn.Module, generator: torch.Generator) -> None:
    """Re-draw every Linear layer as PyTorch's default does (uniform +-1/sqrt(fan_in)), from `generator`.

    torch's own initialisation draws from the global generator, which other sessions share.
    """
    with torch.no_grad():
        for layer in network.modules():
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)


class Playground:
    """A GAN or WGAN-GP learning a 2-D point cloud, one generator update per `step`.

    Training happens in a normalised space (points minus their mean, divided by one overall
    scale), so drawn or uploaded points in any units train with the same learning rates; every
    method takes and returns points in the data's own units.
    """

    def __init__(self, points: np.ndarray, config: PlaygroundConfig | None = None, toy: str | None = None):
        """`points`: the real distribution, (n, 2) with n >= MIN_POINTS; `toy`: its name if it is one."""
        self.config = config or PlaygroundConfig()
        self.toy = toy
        self.real = _validated_points(points)  # (n, 2), data units
        # One scale for both axes keeps shapes (a circle stays a circle, and so does the heatmap).
        self._centre = self.real.mean(axis=0)
        spread = float(self.real.std())
        self._scale = spread if spread > 1e-8 else 1.0
        self._real = torch.from_numpy((self.real - self._centre) / self._scale)  # (n, 2), normalised
        self.reset()

    @classmethod
    def from_toy(cls, name: str, config: PlaygroundConfig | None = None, n: int = 2000) -> Playground:
        """A playground on one of `make_toy`'s distributions ("ring", "moons", "spiral"), n real points.

        The toy's points are drawn with the config's seed, so one seed fixes the whole experiment.
        """
        if name not in TOY_NAMES:
            raise DataError(f"unknown toy {name!r}; choose one of: {', '.join(TOY_NAMES)}")
        config = config or PlaygroundConfig()
        frame = make_toy(name, n=n, seed=config.seed)
        return cls(frame[["x", "y"]].to_numpy(), config, toy=name)

    # ----- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to step 0: the same initial weights, optimiser state, batches and noise as when built."""
        cfg = self.config
        self._rng = torch.Generator().manual_seed(cfg.seed)
        hidden = [cfg.hidden] * cfg.layers
        # LeakyReLU in both (mlp's default): with plain ReLU the generator was seen to lose most of its
        # units early and squash every output onto one line.
        self.generator = mlp(cfg.noise_dim, hidden, 2)
        self.discriminator = mlp(2, hidden, 1)
        _init_weights(self.generator, self._rng)
        _init_weights(self.discriminator, self._rng)
        self._opt_g = torch.optim.Adam(self.generator.parameters(), lr=cfg.lr_generator, betas=cfg.adam_betas)
        self._opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr_discriminator, betas=cfg.adam_betas)
        self.steps = 0
        self.history: dict[str, list[float]] = {name: [] for name in self.loss_names}

    @property
    def loss_names(self) -> tuple[str, ...]:
        """The loss terms recorded in `history`, one value per generator step each."""
        if self.config.variant == "gan":
            return ("discriminator", "generator")
        return ("critic", "generator", "gradient_penalty", "wasserstein_estimate")

    # ----- training -----------------------------------------------------------------------------
    def _real_batch(self) -> torch.Tensor:
        """(batch, 2) real points drawn with replacement (a drawn set may be smaller than a batch)."""
        index = torch.randint(len(self._real), (self.config.batch_size,), generator=self._rng)
        return self._real[index]

    def _noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, noise_dim) standard normal noise."""
        return torch.randn(n, self.config.noise_dim, generator=self._rng if generator is None else generator)

    def _discriminator_step(self) -> dict[str, float]:
        """One update of the discriminator (critic) on a fresh real and generated batch."""
        real = self._real_batch()
        with torch.no_grad():
            fake = self.generator(self._noise(self.config.batch_size))
        # One forward pass over both halves: half the layer calls, which dominate at this size.
        scores = self.discriminator(torch.cat([real, fake]))
        real_scores, fake_scores = scores[: len(real)], scores[len(real) :]
        if self.config.variant == "gan":
            # Cross-entropy with "real" = 1 and "generated" = 0; on logits for numerical safety.
            loss = F.binary_cross_entropy_with_logits(
                real_scores, torch.ones_like(real_scores)
            ) + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
            terms = {"discriminator": loss.item()}
        else:
            # The critic pushes real scores up and generated scores down; the penalty keeps its slope near 1.
            wasserstein = real_scores.mean() - fake_scores.mean()
            # The interpolation weights come from the playground's own generator, so a seed repeats.
            penalty = gradient_penalty(self.discriminator, real, fake, generator=self._rng)
            loss = -wasserstein + self.config.gp_weight * penalty
            terms = {
                "critic": loss.item(),
                "gradient_penalty": penalty.item(),
                "wasserstein_estimate": wasserstein.item(),
            }
        self._opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self._opt_d.step()
        return terms

    def _generator_step(self) -> float:
        """One update of the generator; returns its loss."""
        scores = self.discriminator(self.generator(self._noise(self.config.batch_size)))
        if self.config.variant == "gan":
            # Non-saturating loss (Goodfellow et al. 2014): maximise log D(G(z)) rather than minimise
            # log(1 - D(G(z))), which gives no gradient while the discriminator wins easily.
            loss = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
        else:
            loss = -scores.mean()
        self._opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self._opt_g.step()
        return loss.item()

    def step(self, n_steps: int = 1) -> None:
        """Advance training by `n_steps` generator updates, each after `d_steps` discriminator updates.

        Records one value per loss term and generator step in `history` (discriminator terms
        averaged over their `d_steps` updates).
        """
        self.generator.train()
        self.discriminator.train()
        for _ in range(n_steps):
            terms: dict[str, float] = {}
            for _ in range(self.config.d_steps):
                for name, value in self._discriminator_step().items():
                    terms[name] = terms.get(name, 0.0) + value / self.config.d_steps
            terms["generator"] = self._generator_step()
            for name in self.loss_names:
                self.history[name].append(terms[name])
            self.steps += 1

    # ----- what to draw -------------------------------------------------------------------------
    @torch.no_grad()
    def generated(self, n: int = 500) -> np.ndarray:
        """(n, 2) generated points in the data's units, from a fixed noise batch.

        The same n inputs at every call (seeded by the config's seed), so successive calls show the
        same points moving as training goes on.
        """
        fixed = torch.Generator().manual_seed(self.config.seed + 1)
        points = self.generator(self._noise(n, fixed)).numpy()
        return points * self._scale + self._centre

    def bounds(self, margin: float = 0.5) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max): a square around the real points, `margin` of their size added each side.

        Square and fixed by the real data, so a plot keeps one view while the generated points move.
        """
        low, high = self.real.min(axis=0), self.real.max(axis=0)
        middle = (low + high) / 2
        half = float((high - low).max()) / 2 * (1 + 2 * margin) or 1.0
        return (float(middle[0] - half), float(middle[0] + half), float(middle[1] - half), float(middle[1] + half))

    @torch.no_grad()
    def surface(
        self, grid_size: int = 50, bounds: tuple[float, float, float, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The discriminator's (critic's) view of the plane, for a heatmap.

        Returns ``xs`` (grid_size,), ``ys`` (grid_size,) and ``values`` (grid_size, grid_size) with
        ``values[i, j]`` at (xs[j], ys[i]) — rows follow y, as a heatmap expects. For the vanilla GAN
        a value is the discriminator's probability that a point is real (0-1); for WGAN-GP it is the
        critic's raw score (any real number: only differences between points mean something).
        `bounds` defaults to `self.bounds()`.
        """
        x_min, x_max, y_min, y_max = bounds or self.bounds()
        xs = np.linspace(x_min, x_max, grid_size)
        ys = np.linspace(y_min, y_max, grid_size)
        grid_x, grid_y = np.meshgrid(xs, ys)  # (grid_size, grid_size) each, rows follow y
        grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
        normalised = torch.from_numpy(((grid - self._centre) / self._scale).astype(np.float32))
        scores = self.discriminator(normalised)[:, 0]
        if self.config.variant == "gan":
            scores = torch.sigmoid(scores)
        return xs, ys, scores.numpy().reshape(grid_size, grid_size)

    def ring_scores(self, n: int = 2000) -> dict[str, float | int | list[int]] | None:
        """`ring_scores` of n generated points (fixed noise) when the real data is the ring toy, else None."""
        return ring_scores(self.generated(n)) if self.toy == "ring" else None
