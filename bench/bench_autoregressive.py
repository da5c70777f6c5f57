"""Benchmark the autoregressive model (and any other table model) on the bundled tables.

    python -m bench.bench_autoregressive                          # autoregressive and wgan_gp on 4 tables
    python -m bench.bench_autoregressive --models autoregressive --datasets penguins --set order=table

Each table is split 80/20 (seeded); the model trains on the 80 %, and 10,000 sampled rows are scored
against those 80 % with the SDMetrics-definition quality score and a boosting classifier's detection
AUC, and for utility (train on synthetic, test on the 20 % hold-out, against train on real). Exact copies
of training rows are counted in the synthetic rows and, as the yardstick, in the real hold-out rows; the
DCR ratio is the median distance of synthetic rows to their closest training row over that of hold-out
rows (1 = as close as new real rows, below 1 = closer: rows learnt by heart).
Prints one JSON line per run (to stderr as it goes) and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

DEFAULT_MODELS = ["autoregressive", "wgan_gp"]
DEFAULT_DATASETS = ["penguins", "weather", "gpa", "cars"]
# A target per table for utility, and columns to leave out (cars' names are identifiers).
TARGETS = {"penguins": "species", "weather": "weather", "gpa": "gpa", "cars": "Miles_per_Gallon"}
IGNORE = {"cars": ["Name"]}


def split(data, seed: int):
    """80/20 seeded split of a table's rows."""
    order = np.random.default_rng(seed).permutation(len(data))
    cut = int(0.8 * len(data))
    return data.iloc[order[:cut]].reset_index(drop=True), data.iloc[order[cut:]].reset_index(drop=True)


def run_one(model_name: str, dataset: str, seed: int, settings: dict) -> dict:
    import gen_models
    from gen_models.evaluation import detection_auc, privacy, quality_score, utility
    from gen_models.training import setting_from_text

    data = gen_models.load_dataset(dataset)
    train, test = split(data, seed)
    kinds_override = {name: "ignore" for name in IGNORE.get(dataset, [])}
    cls = gen_models.REGISTRY[model_name]
    typed = {name: setting_from_text(cls.Config, name, value) for name, value in settings.items()}
    model = gen_models.create(model_name, seed=seed, **typed)
    started = time.perf_counter()
    result = model.fit(train, kinds=kinds_override or None)
    fit_seconds = time.perf_counter() - started
    model.sample(100, seed=seed)  # warm-up
    started = time.perf_counter()
    rows = model.sample(10_000, seed=seed)
    sample_seconds = time.perf_counter() - started
    kinds = {c.name: c.kind for c in model.schema.columns if c.kind != "ignore"}
    real, holdout = train[list(kinds)], test[list(kinds)]
    quality = quality_score(real, rows, kinds=kinds)
    detection = detection_auc(real, rows, kinds=kinds, seed=seed, classifier="boosting")
    useful = utility(real, rows, TARGETS[dataset], kinds=kinds, seed=seed, real_test=holdout)
    private = privacy(real, rows, kinds=kinds, seed=seed, real_holdout=holdout)
    holdout_copies = privacy(real, holdout, kinds=kinds, seed=seed, real_holdout=holdout)["exact_copies"]
    return {
        "model": model_name,
        "dataset": dataset,
        "settings": settings,
        "rows": len(train),
        "epochs": result.epochs_completed,
        "message": result.message,
        "fit_s": round(fit_seconds, 1),
        "sample_10k_s": round(sample_seconds, 3),
        "quality": round(quality["quality"], 4),
        "shapes": round(quality["column_shapes"], 4),
        "pairs": round(quality["pair_trends"], 4) if quality["pair_trends"] is not None else None,
        "detection_auc": round(detection, 3),
        "utility": round(useful["train_synthetic"], 3),
        "utility_real": round(useful["train_real"], 3),
        "exact_copies": round(private["exact_copies"], 4),
        "holdout_copies": round(holdout_copies, 4),
        # Median distance to the closest training row, of synthetic rows over that of real hold-out rows:
        # below 1, the synthetic rows sit closer to the training rows than new real rows do.
        "dcr_ratio": round(private["dcr_synthetic_median"] / private["dcr_holdout_median"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a model setting")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    settings = dict(item.split("=", 1) for item in args.set)
    results = []
    for dataset in args.datasets.split(","):
        for model in args.models.split(","):
            result = run_one(model, dataset, args.seed, settings if model == "autoregressive" else {})
            results.append(result)
            print(json.dumps(result), flush=True)

    print(
        "\n| model | data | fit | sample 10k | quality (shapes / pairs) | detection AUC | utility (real) "
        "| exact copies (hold-out) | DCR ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['dataset']} ({r['rows']} rows) | {r['fit_s']:.1f} s | {r['sample_10k_s']:.2f} s "
            f"| {r['quality']:.3f} ({r['shapes']:.3f} / {r['pairs']}) | {r['detection_auc']:.3f} "
            f"| {r['utility']:.3f} ({r['utility_real']:.3f}) | {r['exact_copies']:.3f} ({r['holdout_copies']:.3f}) "
            f"| {r['dcr_ratio']:.2f} |"
        )


if __name__ == "__main__":
    main()
