"""Three classic ways to draw random numbers from a distribution, small enough to watch (the Learn page).

- Inverse transform sampling: push uniform numbers u through the inverse CDF, x = F^{-1}(u).
- Rejection sampling: draw x from an easy proposal q, draw a height under the envelope M q(x),
  and keep x when the height also lies under the target density p(x).
- Metropolis-Hastings: a random walk that proposes x' = x + step * noise and moves there with
  probability min(1, p(x') / p(x)); it needs p only up to a constant.

Every function takes a seed and gives the same numbers for the same seed. Pure NumPy and SciPy:
the page that draws these lives in `app_pages/learn.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import optimize, special

INVERSE_CDF_GRID = 4001  # points of the tabulated CDF read backwards for distributions with no formula


class Density1D(Protocol):
    """A one-dimensional distribution with everything the three samplers and their figures need."""

    name: str

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at each point: (n,) -> (n,)."""
        ...

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x) at each point: (n,) -> (n,)."""
        ...

    def inverse_cdf(self, u: np.ndarray) -> np.ndarray:
        """The x with F(x) = u, for u in (0, 1): (n,) -> (n,)."""
        ...

    def mean(self) -> float: ...

    def std(self) -> float: ...

    def plot_range(self) -> tuple[float, float]:
        """Where nearly all of the probability lies: the x range figures should show."""
        ...


@dataclass(frozen=True)
class Exponential:
    """The exponential distribution: waiting times. Its inverse CDF has a formula: -log(1 - u) / rate."""

    rate: float = 1.0
    name: str = "Exponential"

    def pdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, self.rate * np.exp(-self.rate * np.maximum(x, 0.0)), 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, -np.expm1(-self.rate * np.maximum(x, 0.0)), 0.0)

    def inverse_cdf(self, u: np.ndarray) -> np.ndarray:
        return -np.log1p(-np.asarray(u, dtype=float)) / self.rate

    def mean(self) -> float:
        return 1.0 / self.rate

    def std(self) -> float:
        return 1.0 / self.rate

    def plot_range(self) -> tuple[float, float]:
        return 0.0, 6.0 / self.rate  # P(X > 6 / rate) = e^-6, about 0.25%


@dataclass(frozen=True)
class NormalMixture:
    """A weighted sum of normal bumps: component i has weight weights[i], centre means[i], spread stds[i].

    Its CDF has a formula but its inverse does not, so `inverse_cdf` tabulates the CDF on a fine
    grid and reads it backwards by linear interpolation (exact for a single normal).
    """

    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]
    name: str = "Normal mixture"

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        weights = np.asarray(self.weights, dtype=float)
        return weights / weights.sum(), np.asarray(self.means, dtype=float), np.asarray(self.stds, dtype=float)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        weights, means, stds = self._arrays()
        scaled = (np.asarray(x, dtype=float)[..., None] - means) / stds  # (..., components)
        return (weights * np.exp(-0.5 * scaled**2) / (stds * math.sqrt(2 * math.pi))).sum(axis=-1)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        weights, means, stds = self._arrays()
        return (weights * special.ndtr((np.asarray(x, dtype=float)[..., None] - means) / stds)).sum(axis=-1)

    def inverse_cdf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        weights, means, stds = self._arrays()
        if len(weights) == 1:
            return means[0] + stds[0] * special.ndtri(u)
        # 10 standard deviations beyond the outermost bumps: the CDF there is 0 or 1 to double precision.
        grid = np.linspace((means - 10 * stds).min(), (means + 10 * stds).max(), INVERSE_CDF_GRID)
        return np.interp(u, self.cdf(grid), grid)

    def mean(self) -> float:
        weights, means, _ = self._arrays()
        return float((weights * means).sum())

    def std(self) -> float:
        weights, means, stds = self._arrays()
        second_moment = (weights * (stds**2 + means**2)).sum()
        return float(math.sqrt(second_moment - self.mean() ** 2))

    def plot_range(self) -> tuple[float, float]:
        _, means, stds = self._arrays()
        return float((means - 3.5 * stds).min()), float((means + 3.5 * stds).max())

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n independent draws (n,): pick a bump by its weight, then a point from that bump."""
        weights, means, stds = self._arrays()
        component = rng.choice(len(weights), size=n, p=weights)
        return means[component] + stds[component] * rng.standard_normal(n)


EXPONENTIAL = Exponential(rate=1.0, name="Exponential (rate 1)")
TWO_BUMPS = NormalMixture(weights=(0.3, 0.7), means=(-2.0, 1.5), stds=(0.6, 1.0), name="Two-bump mixture")
STANDARD_NORMAL = NormalMixture(weights=(1.0,), means=(0.0,), stds=(1.0,), name="Standard normal")
TARGETS: dict[str, Density1D] = {target.name: target for target in (EXPONENTIAL, TWO_BUMPS, STANDARD_NORMAL)}


# ----- inverse transform sampling ---------------------------------------------------------------
@dataclass(frozen=True)
class InverseTransformDraw:
    uniform: np.ndarray  # (n,) the u drawn uniformly from (0, 1)
    samples: np.ndarray  # (n,) x = F^{-1}(u), distributed as the target


def inverse_transform_sample(target: Density1D, n: int, seed: int) -> InverseTransformDraw:
    """n draws from `target` made from n uniform numbers, each pushed through the inverse CDF."""
    rng = np.random.default_rng(seed)
    # Open interval: u = 0 would map to -infinity for a normal and u = 1 to +infinity.
    u = rng.uniform(np.finfo(float).tiny, 1.0, size=n)
    return InverseTransformDraw(uniform=u, samples=target.inverse_cdf(u))


# ----- rejection sampling ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RejectionDraw:
    proposals: np.ndarray  # (n,) x drawn from the proposal q
    heights: np.ndarray  # (n,) u * M * q(x) with u uniform on (0, 1): a point under the envelope
    accepted: np.ndarray  # (n,) bool: the height is under the target, heights < p(x)
    envelope: float  # M, with M q(x) >= p(x) everywhere

    @property
    def samples(self) -> np.ndarray:
        """The accepted proposals (m,), distributed as the target."""
        return self.proposals[self.accepted]

    @property
    def acceptance_rate(self) -> float:
        return float(self.accepted.mean()) if self.accepted.size else 0.0


def envelope_constant(target: Density1D, proposal: NormalMixture, points: int = 2001) -> float:
    """The smallest M with M q(x) >= p(x): the largest ratio p(x) / q(x).

    Both densities integrate to 1, so M >= 1, and on average 1 proposal in M is accepted.
    The ratio is searched on a grid reaching 5 target standard deviations past the plotting
    range (a proposal with heavier tails than the target has its largest ratio well inside),
    then the best grid point is polished between its neighbours, so M q(x) really stays above p.
    """
    low, high = target.plot_range()
    margin = 5 * target.std()
    grid = np.linspace(low - margin, high + margin, points)
    ratios = target.pdf(grid) / proposal.pdf(grid)
    best = int(np.argmax(ratios))
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, points - 1)]
    polished = optimize.minimize_scalar(
        lambda x: -float(target.pdf(np.array([x]))[0] / proposal.pdf(np.array([x]))[0]),
        bounds=(left, right),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(max(ratios[best], -polished.fun))


def rejection_sample(target: Density1D, proposal: NormalMixture, n: int, seed: int) -> RejectionDraw:
    """n proposals from `proposal`, each kept or rejected; about n / M of them are kept."""
    rng = np.random.default_rng(seed)
    envelope = envelope_constant(target, proposal)
    x = proposal.draw(n, rng)
    heights = rng.uniform(0.0, 1.0, size=n) * envelope * proposal.pdf(x)
    return RejectionDraw(proposals=x, heights=heights, accepted=heights < target.pdf(x), envelope=envelope)


# ----- Metropolis-Hastings ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    states: np.ndarray  # (n_steps,) where the walk is after each step (the chain's samples)
    accepted: np.ndarray  # (n_steps,) bool: whether that step's proposed move was taken

    @property
    def acceptance_rate(self) -> float:
        return float(self.accepted.mean()) if self.accepted.size else 0.0


def metropolis_hastings(
    log_density: Callable[[float], float], start: float, step: float, n_steps: int, seed: int
) -> Chain:
    """A random-walk Metropolis chain of `n_steps` states.

    log_density: log p(x) up to an additive constant (the method never needs p's normaliser);
    -inf outside the support. Each step proposes x' = x + step * N(0, 1) and accepts it with
    probability min(1, p(x') / p(x)); a rejected step repeats the current state, which is what
    keeps the chain's long-run histogram equal to p.
    """
    rng = np.random.default_rng(seed)
    # All the randomness up front (one array each) keeps the loop to plain floats: fast in Python.
    moves = (step * rng.standard_normal(n_steps)).tolist()
    log_uniforms = np.log(rng.uniform(0.0, 1.0, size=n_steps)).tolist()
    states = np.empty(n_steps)
    accepted = np.zeros(n_steps, dtype=bool)
    x, log_p = float(start), float(log_density(start))
    for i in range(n_steps):
        proposal = x + moves[i]
        log_p_proposal = float(log_density(proposal))
        if log_uniforms[i] < log_p_proposal - log_p:  # log of: u < p(x') / p(x)
            x, log_p = proposal, log_p_proposal
            accepted[i] = True
        states[i] = x
    return Chain(states=states, accepted=accepted)


def mixture_log_density(mixture: NormalMixture) -> Callable[[float], float]:
    """log p(x) of a normal mixture for one float at a time, written with `math` for speed in a chain."""
    weights, means, stds = (np.asarray(a, dtype=float).tolist() for a in mixture._arrays())
    scales = [w / (s * math.sqrt(2 * math.pi)) for w, s in zip(weights, stds, strict=True)]
    parts = list(zip(scales, means, stds, strict=True))

    def log_density(x: float) -> float:
        density = sum(scale * math.exp(-0.5 * ((x - mean) / std) ** 2) for scale, mean, std in parts)
        return math.log(density) if density > 0 else -math.inf

    return log_density


def effective_sample_size(chain: np.ndarray) -> float:
    """How many independent draws a correlated chain (n,) is worth: n / (1 + 2 * sum of autocorrelations).

    The sum runs over lags until the autocorrelation first drops to zero or below (later lags are
    mostly noise). A chain stuck on one value is worth 1 draw.
    """
    x = np.asarray(chain, dtype=float)
    n = x.size
    centred = x - x.mean()
    variance = float(centred @ centred) / n if n else 0.0
    if n < 2 or variance <= 0:
        return 1.0 if n else 0.0
    # Autocorrelation at every lag at once through the FFT (zero-padded so lags do not wrap around).
    spectrum = np.fft.rfft(centred, 2 * n)
    autocovariance = np.fft.irfft(spectrum * np.conj(spectrum))[:n] / n
    rho = autocovariance / variance
    below = np.flatnonzero(rho[1:] <= 0)
    last_lag = int(below[0]) if below.size else n - 1
    return float(n / (1 + 2 * rho[1 : last_lag + 1].sum()))
