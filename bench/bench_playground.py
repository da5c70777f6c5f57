"""Benchmark: vanilla GAN vs WGAN-GP on the ring of 8 Gaussians, as the 2-D playground trains them.

For each variant (default settings from `gen_models.teaching.playground.recommended_config`) and seed, trains
on the ring and prints, at a few step counts, the modes covered (0-8) and the high-quality fraction
of 2,000 generated points (see `ring_scores`), then the time per generator step. A third row gives
the vanilla GAN's discriminator the generator's learning rate, the change the playground page
suggests trying (collapse comes from the balance between the two networks).

    OMP_NUM_THREADS=1 python -m bench.bench_playground [--seeds 0 1 2 3 4] [--steps 250 500 1000 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

# Run from a checkout without installing: make the repository root importable.
from gen_models.teaching.playground import Playground, recommended_config

EQUAL_RATES = recommended_config("gan").lr_generator
SETUPS = {  # row label: (variant, settings changed from its recommended ones)
    "gan": ("gan", {}),
    "wgan_gp": ("wgan_gp", {}),
    "gan lrD=lrG": ("gan", {"lr_discriminator": EQUAL_RATES}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    checkpoints = sorted(args.steps)

    print(f"ring of 8 Gaussians, {torch.get_num_threads()} torch thread(s); cells: modes covered / high-quality")
    print(f"{'setup':<12}{'seed':>5}" + "".join(f"{f'{n} steps':>16}" for n in checkpoints) + f"{'ms/step':>10}")
    for label, (variant, changes) in SETUPS.items():
        covered: dict[int, list[int]] = {n: [] for n in checkpoints}
        quality: dict[int, list[float]] = {n: [] for n in checkpoints}
        timings: list[float] = []
        for seed in args.seeds:
            playground = Playground.from_toy("ring", recommended_config(variant, seed=seed, **changes))
            cells, training_seconds = [], 0.0
            for n in checkpoints:
                started = time.perf_counter()
                playground.step(n - playground.steps)
                training_seconds += time.perf_counter() - started
                scores = playground.ring_scores()
                covered[n].append(scores["modes_covered"])
                quality[n].append(scores["high_quality"])
                cells.append(f"{scores['modes_covered']}/8 {scores['high_quality']:5.1%}")
            timings.append(training_seconds / playground.steps * 1000)
            print(f"{label:<12}{seed:>5}" + "".join(f"{c:>16}" for c in cells) + f"{timings[-1]:>10.1f}", flush=True)
        means = [f"{statistics.mean(covered[n]):.1f}/8 {statistics.mean(quality[n]):5.1%}" for n in checkpoints]
        print(f"{label + ' mean':<17}" + "".join(f"{m:>16}" for m in means) + f"{statistics.mean(timings):>10.1f}")


if __name__ == "__main__":
    main()
