"""Benchmark the normalizing flow and the moment-matching network beside the vanilla GAN (issue #19).

    python -m bench.bench_flow_mmd --threads 1                       # flow, mmd and gan on every bundled table
    python -m bench.bench_flow_mmd --models mmd --tables penguins --threads 1

Every model trains with its own defaults (epochs=None: its `auto_steps` budget), seed 0, and is scored as
bench_models scores it: the SDMetrics-style quality of 10,000 sampled rows against the training data.
For the flow it also prints
- the round trip: `decode_codes(encode(df))` against `df` on the whole table (numbers within 1e-4 relative,
  categories equal, empty where empty), as the number of columns that differ (0 = exact);
- the likelihood check: the share of rows whose log-likelihood is higher than that of the same row with one
  numeric column (picked at random per row, seeded) moved 5 standard deviations up or down.
For mmd it prints the Spearman rank correlation, over training, between the MMD^2 loss (averaged over the
steps since the previous checkpoint) and the quality of 2,000 rows sampled at each of `--checkpoints`
checkpoints: negative means the loss falls as quality rises. Sampling at a checkpoint uses its own seeded
generator, so the run trains exactly as without them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

import gen_models
from gen_models.data import infer_schema
from gen_models.evaluation import quality_score
from gen_models.models.flow import Flow, round_trip_errors

TABLES = ("penguins", "weather", "gpa", "cars")
MODELS = ("flow", "mmd", "gan")
SEED = 0
SHIFT_STDS = 5.0


def load_table(name: str) -> pd.DataFrame:
    """A bundled table without the columns our schema would ignore (cars' 311 distinct names), as bench_peers."""
    data = gen_models.load_dataset(name)
    return data[infer_schema(data, ignore_unusable=True).used_columns]


def likelihood_check(model: Flow, data: pd.DataFrame, seed: int = SEED) -> float:
    """Share of rows whose log-likelihood beats the same row with one numeric value moved SHIFT_STDS stds away."""
    numeric = [spec.name for spec in model.schema.columns if spec.kind in ("continuous", "integer")]
    rng = np.random.default_rng(seed)
    picked = rng.choice(numeric, size=len(data))
    sign = rng.choice([-1.0, 1.0], size=len(data))
    moved = data.copy()
    for name in numeric:
        rows = (picked == name) & data[name].notna().to_numpy()
        values = moved[name].astype(np.float64)
        values[rows] = values[rows] + sign[rows] * SHIFT_STDS * data[name].std()
        moved[name] = values
    present = np.array([pd.notna(data.at[i, name]) for i, name in zip(data.index, picked, strict=True)])
    better = model.log_likelihood(data) > model.log_likelihood(moved)
    return float(better[present].mean())


def measure_flow(model: Flow, data: pd.DataFrame) -> dict:
    """The flow's own figures (make_pretrained's card uses them too): round trip and likelihood check."""
    errors = round_trip_errors(data[model.encoder.columns], model.decode_codes(model.encode(data)))
    ll = model.log_likelihood(data)
    return {
        "round_trip_columns_differing": len(errors),
        "mean_log_likelihood": round(float(ll.mean()), 3),
        "likelihood_check_share": round(likelihood_check(model, data), 3),
    }


def quality_of(model: gen_models.GenerativeModel, data: pd.DataFrame, n: int) -> dict:
    rows = model.sample(n, seed=SEED)
    return quality_score(data[rows.columns], rows, kinds=model.schema.kinds())


def run(model_name: str, table: str, checkpoints: int) -> dict:
    data = load_table(table)
    model = gen_models.create(model_name, seed=SEED)
    curve: list[tuple[float, float]] = []  # (mean loss since the previous checkpoint, quality)
    on_epoch = None
    if model_name == "mmd":
        steps_per_epoch = max(1, len(data) // min(model.config.batch_size, len(data)))
        epochs = max(1, round(model.config.auto_steps / steps_per_epoch))
        every = max(1, epochs // checkpoints)

        def on_epoch(metrics: dict) -> None:
            if metrics["epoch"] % every == 0:
                since = [r["mmd_squared"] for r in model.history if r["epoch"] > metrics["epoch"] - every]
                curve.append((float(np.mean(since)), quality_of(model, data, 2000)["quality"]))

    started = time.perf_counter()
    result = model.fit(data, on_epoch=on_epoch)
    fit_seconds = time.perf_counter() - started
    quality = quality_of(model, data, 10_000)
    out = {
        "model": model_name,
        "table": table,
        "rows": len(data),
        "steps": result.steps,
        "fit_s": round(fit_seconds, 1),
        "quality": round(quality["quality"], 3),
        "column_shapes": round(quality["column_shapes"], 3),
        "pair_trends": round(quality["pair_trends"], 3),
    }
    if isinstance(model, Flow):
        out.update(measure_flow(model, data))
    if curve:
        losses, qualities = zip(*curve, strict=True)
        out["loss_quality_spearman"] = round(float(spearmanr(losses, qualities).statistic), 3)
        out["curve"] = [(round(loss, 4), round(q, 3)) for loss, q in curve]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--checkpoints", type=int, default=12, help="mmd: quality checkpoints over training")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    results = []
    for table in args.tables.split(","):
        for model_name in args.models.split(","):
            r = run(model_name, table, args.checkpoints)
            results.append(r)
            print(r, flush=True)

    print()
    print(
        "| model | table | steps | fit time | quality (shapes / pairs) | round trip | likelihood check | loss~quality |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        trip = (
            ""
            if "round_trip_columns_differing" not in r
            else (
                "exact"
                if r["round_trip_columns_differing"] == 0
                else f"{r['round_trip_columns_differing']} columns differ"
            )
        )
        check = f"{r['likelihood_check_share']:.1%}" if "likelihood_check_share" in r else ""
        rho = f"Spearman {r['loss_quality_spearman']:+.2f}" if "loss_quality_spearman" in r else ""
        print(
            f"| {r['model']} | {r['table']} ({r['rows']} rows) | {r['steps']} | {r['fit_s']:.0f} s "
            f"| {r['quality']:.3f} ({r['column_shapes']:.3f} / {r['pair_trends']:.3f}) | {trip} | {check} | {rho} |"
        )


if __name__ == "__main__":
    main()
