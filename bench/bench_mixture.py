"""Compare the tabular encoder's Dirichlet-process mixture with scikit-learn's BayesianGaussianMixture.

Usage: python -m bench.bench_mixture
For every numeric column of the bundled tables (penguins, weather, gpa, cars) and a few synthetic
columns, both mixtures are fitted to the same standardised sample that the encoder's `_fit_modes`
uses (at most MAX_FIT_VALUES values, seeded), with CTGAN's settings for scikit-learn (as in rdt's
ClusterBasedNormalizer: a Dirichlet-process prior of 0.001, one initialisation, up to 10 modes),
and their modes go through the same pruning (weight < MIN_MODE_WEIGHT dropped). Printed per column:
the modes kept (sorted means and weights, in the column's units), the mean log-likelihood per value
of the sample under the kept modes (higher fits better; standardised units, so columns compare), and
the fit time, the median of N_REPEATS fits.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from gen_models import load_dataset
from gen_models.data.encoders.tabular import (
    WEIGHT_CONCENTRATION_PRIOR,
    _dirichlet_process_mixture,
    _kept_modes,
    _mixture_sample,
)
from gen_models.data.schema import infer_schema, parse_datetimes
from gen_models.data.values import column_numbers, datetime_numbers, datetime_step

DATASETS = ("penguins", "weather", "gpa", "cars")
MAX_MODES = 10  # the encoder's default max_modes
SEED = 0
N_REPEATS = 3


def bundled_columns() -> list[tuple[str, np.ndarray]]:
    """(name, (n,) present values) of every numeric column, converted as the encoder converts them."""
    columns = []
    for dataset in DATASETS:
        df = load_dataset(dataset)
        for spec in infer_schema(df, ignore_unusable=True).columns:
            if spec.kind not in ("continuous", "integer", "datetime"):
                continue
            series = df[spec.name]
            step_us = 1
            if spec.kind == "datetime":
                step_us = datetime_step(datetime_numbers(parse_datetimes(series, spec), "us"))
            x = column_numbers(series, spec, step_us)
            columns.append((f"{dataset}.{spec.name}", x[~np.isnan(x)]))
    return columns


def synthetic_columns() -> list[tuple[str, np.ndarray]]:
    """Columns with known shapes: two and three clear modes, a long right tail, a spike at a round number."""
    rng = np.random.default_rng(SEED)
    bimodal = np.concatenate([rng.normal(-2.0, 0.5, 3000), rng.normal(3.0, 1.0, 2000)])
    trimodal = np.concatenate([rng.normal(0.0, 1.0, 1500), rng.normal(20.0, 1.0, 1000), rng.normal(40.0, 2.0, 500)])
    skewed = rng.lognormal(0.0, 1.0, 5000)
    spike = np.concatenate([np.full(1500, 100.0), rng.normal(130.0, 15.0, 3500)])
    return [
        ("synthetic.bimodal", bimodal),
        ("synthetic.trimodal", trimodal),
        ("synthetic.skewed", skewed),
        ("synthetic.spike_at_100", spike),
    ]


def fit_ours(z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _dirichlet_process_mixture(z, k)


def fit_sklearn(z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mixture = BayesianGaussianMixture(
        n_components=k,
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=WEIGHT_CONCENTRATION_PRIOR,
        n_init=1,
        random_state=SEED,
    )
    with warnings.catch_warnings():
        # CTGAN's settings often stop at max_iter=100 before converging; that is the behaviour compared.
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(z[:, None])
    return mixture.means_[:, 0], mixture.covariances_[:, 0, 0], mixture.weights_


def timed_fit(fit, z: np.ndarray, k: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], float]:
    """The fit's result and the median of N_REPEATS wall-clock times, in seconds."""
    times = []
    for _ in range(N_REPEATS):
        start = time.perf_counter()
        result = fit(z, k)
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def log_likelihood(z: np.ndarray, means: list[float], stds: list[float], weights: list[float], center, scale) -> float:
    """Mean log density per value of the (m,) standardised sample z under modes given in column units."""
    mu = (np.array(means) - center) / scale
    sigma = np.array(stds) / scale
    log_density = -0.5 * ((z[:, None] - mu) / sigma) ** 2 - np.log(sigma * np.sqrt(2 * np.pi)) + np.log(weights)
    return float(logsumexp(log_density, axis=1).mean())


def main() -> None:
    totals = {"ours": 0.0, "sklearn": 0.0}
    same_count = 0
    largest_loglik_gap = 0.0
    columns = bundled_columns() + synthetic_columns()
    print(f"max modes {MAX_MODES}, seed {SEED}, fit times are the median of {N_REPEATS} fits\n")
    for name, values in columns:
        center, scale = float(values.mean()), float(values.std())
        z = _mixture_sample(values, center, scale, SEED)
        k = min(MAX_MODES, len(np.unique(z)))
        print(f"{name}: {len(values)} values, fitted on {len(z)}, {k} starting modes")
        kept, logliks = {}, {}
        for label, fit in (("ours", fit_ours), ("sklearn", fit_sklearn)):
            (means, variances, weights), seconds = timed_fit(fit, z, k)
            kept[label] = _kept_modes(means, variances, weights, center, scale)
            totals[label] += seconds
            fitted_means, fitted_stds, fitted_weights = kept[label]
            loglik = logliks[label] = log_likelihood(z, fitted_means, fitted_stds, fitted_weights, center, scale)
            print(
                f"  {label:8s} {len(fitted_means):2d} modes  {seconds * 1000:7.1f} ms  log-lik/value {loglik:7.3f}\n"
                f"           means   {' '.join(f'{m:.4g}' for m in fitted_means)}\n"
                f"           weights {' '.join(f'{w:.3f}' for w in fitted_weights)}"
            )
        same_count += len(kept["ours"][0]) == len(kept["sklearn"][0])
        largest_loglik_gap = max(largest_loglik_gap, abs(logliks["ours"] - logliks["sklearn"]))
        print()
    print(
        f"{len(columns)} columns; same number of modes on {same_count}; log-likelihoods per value differ by at most "
        f"{largest_loglik_gap:.3f}; total fit time: "
        f"ours {totals['ours']:.2f} s, sklearn {totals['sklearn']:.2f} s "
        f"({totals['sklearn'] / totals['ours']:.0f}x)"
    )


if __name__ == "__main__":
    main()
