"""Benchmark WGAN-GP's training-by-sampling: do rare categories come back at their real rates?

    python -m bench.bench_training_by_sampling                          # gpa and penguins, setting on and off
    python -m bench.bench_training_by_sampling --datasets gpa --modes off

For each data set and setting (defaults otherwise), fits a WGAN-GP, samples 10,000 rows and prints, per
categorical column, each level's real and generated rate, the share of real levels never generated, the
quality score (SDMetrics' definitions) and the fit time. `--modes before` runs the code as it was before the
setting existed (no `training_by_sampling` passed).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import pandas as pd
import torch

import gen_models
from gen_models.evaluation import quality_score
from gen_models.models.wgan_gp import WGANGPConfig

SAMPLE_ROWS = 10_000


def level_rates(real: pd.Series, generated: pd.Series) -> pd.DataFrame:
    """One row per level of the real column (empty cells as '<empty>'): its real and generated share of rows."""
    real_rates = real.astype(object).fillna("<empty>").value_counts(normalize=True)
    generated_rates = generated.astype(object).fillna("<empty>").value_counts(normalize=True)
    return pd.DataFrame({"real": real_rates, "generated": generated_rates.reindex(real_rates.index).fillna(0.0)})


def run_one(dataset: str, mode: str, seed: int) -> dict:
    data = gen_models.load_dataset(dataset)
    settings: dict = {"seed": seed}
    if mode != "before":
        if "training_by_sampling" not in {field.name for field in dataclasses.fields(WGANGPConfig)}:
            raise SystemExit("this code has no training_by_sampling setting: use --modes before")
        settings["training_by_sampling"] = mode == "on"
    model = gen_models.create("wgan_gp", **settings)
    started = time.perf_counter()
    model.fit(data)
    fit_seconds = time.perf_counter() - started
    rows = model.sample(SAMPLE_ROWS, seed=seed)
    kinds = model.schema.kinds()
    score = quality_score(data[rows.columns], rows, kinds=kinds)
    quality = score["quality"]
    missing, total, worst = 0, 0, 0.0
    print(
        f"\n## {dataset}, training_by_sampling {mode}: fit {fit_seconds:.1f} s, quality {quality:.3f} "
        f"(column shapes {score['column_shapes']:.3f}, pair trends {score['pair_trends']:.3f})"
    )
    print("column shapes: " + ", ".join(f"{name} {value:.3f}" for name, value in score["columns"].items()))
    for column, kind in kinds.items():
        if kind != "categorical":
            continue
        rates = level_rates(data[column], rows[column])
        missing += int((rates["generated"] == 0).sum())
        total += len(rates)
        worst = max(worst, float((rates["generated"] - rates["real"]).abs().max()))
        cells = ", ".join(f"{level}: {r.real:.3f} -> {r.generated:.3f}" for level, r in rates.iterrows())
        print(f"- {column}: {cells}")
    print(f"levels never generated: {missing}/{total}; largest rate gap {worst:.3f}")
    return {"dataset": dataset, "mode": mode, "fit_s": fit_seconds, "quality": quality, "missing": missing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["gpa", "penguins"])
    parser.add_argument("--modes", nargs="+", default=["off", "on"], choices=["before", "off", "on"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [run_one(dataset, mode, args.seed) for dataset in args.datasets for mode in args.modes]
    print("\n| data set | training_by_sampling | fit (s) | quality | levels never generated |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['dataset']} | {r['mode']} | {r['fit_s']:.1f} | {r['quality']:.3f} | {r['missing']} |")


if __name__ == "__main__":
    main()
