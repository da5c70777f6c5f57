"""The tabular encoder's hand-written Dirichlet-process mixture against scikit-learn's BayesianGaussianMixture.

Both are fitted to the same standardised sample, with CTGAN's settings for scikit-learn, and pruned
the same way (bench/bench_mixture.py does this on every bundled numeric column and prints the figures).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_mixture import fit_sklearn, log_likelihood
from gen_models.data.encoders.tabular import _dirichlet_process_mixture, _kept_modes, _mixture_sample

MAX_MODES = 10


def clear_modes(parts: list[tuple[float, float, int]], seed: int = 0) -> np.ndarray:
    """(n,) values drawn from well-separated modes given as (mean, std, count); std 0 is a spike."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(mean, std, count) for mean, std, count in parts])


def both_fits(values: np.ndarray) -> tuple[tuple[list[float], ...], tuple[list[float], ...], np.ndarray, float, float]:
    """Kept (means, stds, weights) of ours and of scikit-learn's, plus the sample, centre and scale they saw."""
    center, scale = float(values.mean()), float(values.std())
    z = _mixture_sample(values, center, scale, seed=0)
    k = min(MAX_MODES, len(np.unique(z)))
    ours = _kept_modes(*_dirichlet_process_mixture(z, k), center, scale)
    theirs = _kept_modes(*fit_sklearn(z, k), center, scale)
    return ours, theirs, z, center, scale


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([(0.0, 1.0, 1500), (20.0, 1.0, 1000), (40.0, 2.0, 500)], id="three-modes"),
        pytest.param([(-30.0, 1.0, 1200), (-10.0, 2.0, 900), (5.0, 1.0, 600), (25.0, 1.5, 300)], id="four-modes"),
        pytest.param([(100.0, 0.0, 800), (50.0, 2.0, 1600), (150.0, 3.0, 600)], id="spike-at-100"),
    ],
)
def test_same_modes_and_weights_as_sklearn_on_clearly_separated_modes(parts):
    values = clear_modes(parts)  # 3,000 values, so the fit also runs on the seeded 2,000-value sample
    (our_means, _, our_weights), (sk_means, _, sk_weights), *_ = both_fits(values)

    true_means = sorted(mean for mean, _, _ in parts)
    assert len(our_means) == len(sk_means) == len(parts)
    np.testing.assert_allclose(our_means, sk_means, atol=0.01 * values.std())
    np.testing.assert_allclose(our_weights, sk_weights, atol=0.01)
    # And both found the modes that are there, not merely the same wrong ones.
    np.testing.assert_allclose(our_means, true_means, atol=0.05 * values.std())
    true_weights = [count / len(values) for _, _, count in sorted(parts)]
    np.testing.assert_allclose(our_weights, true_weights, atol=0.02)


def test_fits_a_skewed_column_as_well_as_sklearn():
    # On a long tail both split the data into several modes, not the same ones; the density they
    # describe is what the encoding relies on, and it is as good: equal likelihood per value.
    values = np.random.default_rng(0).lognormal(0.0, 1.0, 3000)
    ours, theirs, z, center, scale = both_fits(values)

    ours_loglik = log_likelihood(z, *ours, center, scale)
    theirs_loglik = log_likelihood(z, *theirs, center, scale)
    one_gaussian_loglik = -0.5 * np.log(2 * np.pi) - 0.5  # a single standard normal on standardised values
    assert abs(ours_loglik - theirs_loglik) < 0.05
    assert ours_loglik > one_gaussian_loglik + 0.5  # far better than no mixture, so the check has teeth
