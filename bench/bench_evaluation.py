"""Print how long the fidelity report takes on 10,000 rows x 20 mixed columns.

Usage: python -m bench.bench_evaluation
The figure is the median of 3 runs of ``quality_score`` (column shapes and all
190 pair trends) on a seeded table of 10 continuous, 2 integer, 1 datetime and
7 categorical columns, with a few missing values, against a perturbed copy.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

# Run from a checkout without installing: make the repository root importable.
from gen_models.evaluation import quality_score

N_ROWS = 10_000
N_RUNS = 3


def mixed_table(seed: int) -> pd.DataFrame:
    """A 10,000 x 20 table with correlated numbers, categories, a date and some gaps."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=N_ROWS)
    columns: dict[str, object] = {}
    for i in range(10):
        columns[f"num_{i}"] = base * (i / 10) + rng.normal(size=N_ROWS)
    columns["int_0"] = rng.integers(0, 1_000, size=N_ROWS)
    columns["int_1"] = rng.poisson(50, size=N_ROWS)
    columns["date"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1_500, N_ROWS), "D")
    for i in range(7):
        n_levels = [2, 3, 5, 8, 12, 30, 100][i]
        columns[f"cat_{i}"] = rng.choice([f"level_{k}" for k in range(n_levels)], size=N_ROWS)
    table = pd.DataFrame(columns)
    table.loc[rng.random(N_ROWS) < 0.05, "num_0"] = np.nan
    table.loc[rng.random(N_ROWS) < 0.05, "cat_0"] = None
    return table


def main() -> None:
    """Time quality_score and print the median."""
    real = mixed_table(seed=0)
    synthetic = mixed_table(seed=1)
    timings = []
    for _ in range(N_RUNS):
        start = time.perf_counter()
        report = quality_score(real, synthetic)
        timings.append(time.perf_counter() - start)
    print(
        f"fidelity on {N_ROWS:,} rows x {real.shape[1]} columns "
        f"({len(report['pairs'])} pairs): median {statistics.median(timings):.3f} s "
        f"over {N_RUNS} runs (quality {report['quality']:.3f})"
    )


if __name__ == "__main__":
    main()
