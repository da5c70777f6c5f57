"""Benchmark designing rows in latent space, and perturbation sampling, on the pretrained table models.

    OMP_NUM_THREADS=1 python -m bench.bench_design

For each (model, target) and goal (the real data's 75th percentile, and "max"), both searches
(gradient and evolution) are run for 20 rows with default settings; printed per run: time, the
share of designed rows predicted within the tolerance (a tenth of the target's std) or the median
prediction for "max", next to the same for the data-space route, and realism (median distance to
the nearest real row relative to real rows' own, out-of-range share, in-between categories).
Then perturbation sampling of 20 real rows x 5 through the VAE's codes vs the data, per noise scale.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

import gen_models
from gen_models.latent.design import design, fit_surrogate
from gen_models.latent.perturbation import perturb

ROOT = Path(__file__).resolve().parents[1]

CASES = [  # (pretrained model, its data set, target column)
    ("wgan_gp_penguins", "penguins", "body_mass_g"),
    ("cgan_penguins", "penguins", "flipper_length_mm"),
    ("vae_penguins", "penguins", "bill_length_mm"),
    ("gan_weather", "weather", "temp_max"),
]


def _goal_figure(result, predictions: np.ndarray) -> str:
    if result.goal == "value":
        return f"{result.hit_share(predictions):.0%} hit"
    return f"median {np.median(predictions):.4g}"


def _realism(scores: dict[str, float]) -> str:
    ratio = scores["nearest_real"] / scores["real_to_real"]
    return f"{ratio:.1f}x / {scores['out_of_range']:.0%} / {scores['between_levels']:.0%}"


def main() -> None:
    torch.set_num_threads(1)
    print(
        "| model | target | goal | search | time | latent: goal | latent realism | data space: goal "
        "| data space realism |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, dataset, target in CASES:
        model = gen_models.load(ROOT / "pretrained" / name)
        real = gen_models.load_dataset(dataset)
        started = time.perf_counter()
        surrogate = fit_surrogate(model, real, target)
        fit_seconds = time.perf_counter() - started
        goals = [round(float(real[target].quantile(0.75)), 1), "max"]
        for goal in goals:
            for method in ("gradient", "evolution"):
                started = time.perf_counter()
                result = design(model, real, target, goal, rows=20, method=method, surrogate=surrogate)
                seconds = time.perf_counter() - started
                print(
                    f"| {name} | {target} (R² {surrogate.r2:.2f}, fit {fit_seconds:.1f} s) | {goal} | {method} "
                    f"| {seconds:.1f} s | {_goal_figure(result, result.predictions)} "
                    f"| {_realism(result.realism['latent'])} "
                    f"| {_goal_figure(result, result.data_space_predictions)} "
                    f"(snapped: {_goal_figure(result, result.data_space_snapped)}) "
                    f"| {_realism(result.realism['data space'])} |",
                    flush=True,
                )
    print("\nrealism = distance to the nearest real row / real rows' own / out of range / between categories\n")

    model = gen_models.load(ROOT / "pretrained" / "vae_penguins")
    real = gen_models.load_dataset("penguins")
    items = real.dropna().sample(20, random_state=0)
    print("| noise scale | codes: distance / out of range / unseen combinations | data: the same | time |")
    print("|---|---|---|---|")
    for scale in (0.25, 0.5, 1.0, 2.0):
        started = time.perf_counter()
        result = perturb(model, items, scale, per_item=5, seed=0, real=real)
        seconds = time.perf_counter() - started
        cells = []
        for route in ("latent", "data space"):
            s = result.realism[route]
            cells.append(
                f"{s['nearest_real'] / s['real_to_real']:.1f}x / {s['out_of_range']:.0%} / "
                f"{s['unseen_combinations']:.0%}"
            )
        print(f"| {scale} | {cells[0]} | {cells[1]} | {seconds * 1000:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
