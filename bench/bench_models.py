"""Benchmark the table models: fit time, rows/s, sampling time, peak memory, fidelity.

    python -m bench.bench_models                      # every table model on penguins, weather and gpa
    python -m bench.bench_models --models wgan_gp --datasets weather --epochs 300

Each (model, data set) pair runs in its own process so peak memory (max RSS) is its own. Fidelity
is the SDMetrics-style quality score (mean of column-shape and pair-trend similarity) of 10,000
sampled rows against the training data. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository root: each child process runs `-m bench.bench_models` there
DEFAULT_MODELS = ["gan", "cgan", "wgan_gp", "vae", "flow", "mmd"]
DEFAULT_DATASETS = ["penguins", "weather", "gpa"]
CONDITIONS = {"penguins": "species", "weather": "weather", "gpa": "sex"}  # for models that need a condition column


def run_one(model_name: str, dataset: str, epochs: int | None, seed: int, threads: int | None) -> dict:
    import torch

    if threads:
        torch.set_num_threads(threads)

    import gen_models
    from gen_models.evaluation import quality_score

    data = gen_models.load_dataset(dataset)
    settings = {"seed": seed}
    if epochs is not None:
        settings["epochs"] = epochs
    model = gen_models.create(model_name, **settings)
    condition = CONDITIONS[dataset] if model.needs_condition else None
    started = time.perf_counter()
    result = model.fit(data, condition=condition)
    fit_seconds = time.perf_counter() - started
    model.sample(100, seed=seed)  # warm-up, so the timing below is steady state
    started = time.perf_counter()
    rows = model.sample(10_000, seed=seed)
    sample_seconds = time.perf_counter() - started
    kinds = model.schema.kinds()
    quality = quality_score(data[rows.columns], rows, kinds=kinds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {
        "model": model_name,
        "dataset": dataset,
        "rows": len(data),
        "columns": len(rows.columns),
        "epochs": result.epochs_completed,
        "fit_s": round(fit_seconds, 2),
        "rows_per_s": round(len(data) * result.epochs_completed / fit_seconds),
        "sample_10k_s": round(sample_seconds, 3),
        "peak_mb": round(peak_mb),
        "quality": round(quality["quality"], 3),
        "column_shapes": round(quality["column_shapes"], 3),
        "pair_trends": round(quality["pair_trends"], 3),
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS))
    parser.add_argument("--epochs", type=int, help="override every model's default epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, one per core)")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args.epochs, args.seed, args.threads)))
        return

    results = []
    for dataset in args.datasets.split(","):
        for model in args.models.split(","):
            command = [sys.executable, "-m", "bench.bench_models", "--one", model, dataset, "--seed", str(args.seed)]
            if args.epochs is not None:
                command += ["--epochs", str(args.epochs)]
            if args.threads is not None:
                command += ["--threads", str(args.threads)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=os.environ.copy())
            if done.returncode != 0:
                print(f"{model} on {dataset} failed:\n{done.stderr}", file=sys.stderr)
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = results[-1]
            print(f"{model:8s} {dataset:9s} fit {r['fit_s']:6.1f}s  quality {r['quality']:.3f}", file=sys.stderr)

    header = (
        "| model | data (rows x cols) | epochs | fit time | rows/s trained | sample 10k rows | peak memory "
        "| quality (shapes / pairs) |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for r in results:
        print(
            f"| {r['model']} | {r['dataset']} ({r['rows']} x {r['columns']}) | {r['epochs']} | {r['fit_s']:.1f} s "
            f"| {r['rows_per_s']:,} | {r['sample_10k_s']:.2f} s | {r['peak_mb']} MB "
            f"| {r['quality']:.3f} ({r['column_shapes']:.3f} / {r['pair_trends']:.3f}) |"
        )


if __name__ == "__main__":
    main()
