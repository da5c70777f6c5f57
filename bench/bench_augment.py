"""Benchmark augmentation: does adding a generator's rows (or its codes) help a predictive model on real rows?

    python -m bench.bench_augment                                   # every bundled table, 3 models, 3 sizes
    python -m bench.bench_augment --tables penguins --models vae --shares 1,0.05
    python -m bench.bench_augment --set auto_steps=200              # a smaller training budget for every model

For each bundled table (its target below), training share (100 %, 20 %, 5 % of the 80 % training rows) and
model, runs `gen_models.evaluation.augmentation.augment` once (seed 0, the model's default budget unless
--set changes it) and prints one line: the score on real rows alone and the gain of real + synthetic rows,
of synthetic rows alone and of real rows + their latent codes (models with an encoder), all on the same real
hold-out, then a summary of how often each helped. One split and one seed per line: gains of a few
hundredths are within the noise of a hold-out this size.
"""

from __future__ import annotations

import argparse
import sys
import time

import gen_models
from gen_models.cli.train import model_settings
from gen_models.data import infer_schema
from gen_models.data.datasets import list_datasets
from gen_models.evaluation.augmentation import HOLDOUT_SHARE, augment

# The column each bundled table is predicted on: a class for two tables, a number for the other two.
TARGETS = {"penguins": "species", "weather": "weather", "gpa": "gpa", "cars": "Miles_per_Gallon"}
# Kinds set by hand, as a user would on the Data page: cars' Name (311 different names) is an id, not a category.
KINDS = {"cars": {"Name": "ignore"}}
GAINS = ("real_synthetic", "synthetic", "real_codes")


def gain_text(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    tables = [info.name for info in list_datasets() if info.kind == "table"]
    parser.add_argument("--tables", default=",".join(tables), help="comma-separated bundled tables")
    parser.add_argument("--models", default="autoregressive,wgan_gp,vae", help="comma-separated table models")
    parser.add_argument("--shares", default="1,0.2,0.05", help="shares of the training rows to keep")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for every model")
    args = parser.parse_args()
    shares = [float(share) for share in args.shares.split(",")]
    models = [name.strip() for name in args.models.split(",") if name.strip()]

    print(f"seed {args.seed}; settings {args.set or 'the models defaults'}")
    print("| table | target | metric | model | train rows | real | + synthetic | synthetic only | + codes | seconds |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    wins = {name: [0, 0] for name in GAINS}  # helped, measured
    for table in args.tables.split(","):
        target = TARGETS.get(table)
        if target is None:
            print(f"| {table} | (no target chosen in bench_augment.TARGETS) | | | | | | | | |")
            continue
        data = gen_models.load_dataset(table)
        schema = infer_schema(data, overrides=KINDS.get(table))
        available = len(data) - max(1, round(len(data) * HOLDOUT_SHARE))
        for share in shares:
            train_rows = None if share >= 1 else max(10, round(available * share))
            for model in models:
                started = time.perf_counter()
                settings = model_settings(model, args.set)
                result = augment(
                    data, target, model, train_rows=train_rows, seed=args.seed, settings=settings, schema=schema
                )
                seconds = time.perf_counter() - started
                for name in GAINS:
                    if result.gains[name] is not None:
                        wins[name][0] += result.gains[name] > 0
                        wins[name][1] += 1
                metric = "F1" if result.metric == "macro_f1" else "R²"
                print(
                    f"| {table} | {target} | {metric} | {model} | {result.train_rows} ({share:.0%}) "
                    f"| {result.scores['real']:.3f} | {gain_text(result.gains['real_synthetic'])} "
                    f"| {gain_text(result.gains['synthetic'])} | {gain_text(result.gains['real_codes'])} "
                    f"| {seconds:.0f} |",
                    flush=True,
                )
    print()
    for name, (helped, measured) in wins.items():
        print(f"{name}: helped in {helped} of {measured} runs")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
