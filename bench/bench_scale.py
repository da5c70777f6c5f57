"""Big tables on one machine: read, encode, train, sample and write 10k / 50k / 100k / 1M rows of 20 mixed columns.

    python -m bench.bench_scale [--rows 10000,50000,100000,1000000] [--model wgan_gp] [--steps 200]

The table is made here, seeded: 8 continuous columns (normal, skewed, two-mode), 3 integer, 1 datetime,
8 categorical (2 to 40 levels), empty cells in 6 of them. Each size runs in its own process, so each
one's memory is its own; per step it reports the seconds and the peak resident memory during that step
(Linux's VmHWM, reset before each step through /proc/self/clear_refs; where that cannot be reset, the
peak so far, marked "so far").

Steps: read the CSV and the Parquet file (`gen_models.data.sources.read_source`, what `train --data` uses);
infer the schema; fit the encoder and encode every row; train with a fixed step budget (`auto_steps`,
epochs left to the model, batch 500: the same steps at every size); sample as many rows as the table has, in
the CLI's chunks of 100,000, writing each to CSV and to Parquet before the next is made. Targets (issue #17):
peak memory <= 3 GB, train time at 1M <= 1.5x that at 50k, sampling 1M rows <= 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CHUNK_ROWS = 100_000
TARGET_MEMORY_GB = 3.0
TARGET_TRAIN_RATIO = 1.5
TARGET_SAMPLE_SECONDS = 20.0


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    """(n, 20) mixed columns with some empty cells; the same n and seed give the same table."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n).clip(18, 90)
    two_modes = np.where(rng.random(n) < 0.4, rng.normal(-3, 0.5, n), rng.normal(4, 1.5, n))
    columns: dict[str, Any] = {
        "age": age.round(1),
        "income": np.exp(rng.normal(10, 0.8, n)).round(2),
        "two_modes": two_modes.round(3),
        "score": (0.5 * age + rng.normal(0, 5, n)).round(2),
        "ratio": rng.beta(2, 5, n).round(4),
        "height": rng.normal(170, 10, n).round(1),
        "weight": rng.normal(70, 15, n).round(1),
        "temperature": rng.normal(15, 8, n).round(1),
        "children": rng.poisson(1.5, n),
        "rooms": rng.integers(1, 9, n),
        "visits": rng.negative_binomial(3, 0.3, n),
        "signup": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D"),
        "sex": rng.choice(["female", "male"], n),
        "region": rng.choice([f"region_{i}" for i in range(12)], n),
        "product": rng.choice([f"p{i:02d}" for i in range(40)], n, p=_zipf(40)),
        "plan": rng.choice(["free", "basic", "pro", "team"], n, p=[0.5, 0.3, 0.15, 0.05]),
        "channel": rng.choice(["web", "app", "shop"], n),
        "colour": rng.choice(["red", "green", "blue", "black", "white"], n),
        "active": rng.choice(["yes", "no"], n, p=[0.8, 0.2]),
        "grade": rng.choice(list("ABCDEFG"), n),
    }
    frame = pd.DataFrame(columns)
    for name, share in [("income", 0.05), ("score", 0.02), ("temperature", 0.1), ("visits", 0.03)]:
        frame[name] = frame[name].astype(float).mask(rng.random(n) < share)
    for name, share in [("region", 0.04), ("plan", 0.01)]:
        frame[name] = frame[name].mask(rng.random(n) < share)
    return frame


def _zipf(k: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, k + 1)
    return weights / weights.sum()


def _reset_peak() -> bool:
    """Reset the process's peak resident memory (Linux 4.0+); False where it cannot be."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def measure(steps: list[dict], name: str, work: Callable[[], Any]) -> Any:
    """Run `work()`, appending {"step", "seconds", "peak_gb", "peak_so_far"} to steps; returns its result."""
    reset = _reset_peak()
    started = time.perf_counter()
    result = work()
    steps.append({"step": name, "seconds": time.perf_counter() - started, "peak_gb": _peak_gb(), "so_far": not reset})
    return result


def one_size(n: int, model_name: str, budget: int, workdir: Path) -> dict:
    """Every step for a table of n rows, in this process."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import gen_models
    from gen_models.cli.sample import SEED_STRIDE, chunk_sizes
    from gen_models.data import TableSchema, infer_schema, validate_table
    from gen_models.data.layouts import DataLayout
    from gen_models.data.sources import read_source
    from gen_models.data.writing import write_csv
    from gen_models.training.threads import set_training_threads

    threads = set_training_threads()  # as `train` does: the free cores at most
    table = make_table(n)
    csv_path, parquet_path = workdir / f"table_{n}.csv", workdir / f"table_{n}.parquet"
    table.to_csv(csv_path, index=False)
    table.to_parquet(parquet_path, index=False)
    del table
    steps: list[dict] = []
    measure(steps, "read CSV", lambda: read_source(str(csv_path)))
    frame = measure(steps, "read Parquet", lambda: read_source(str(parquet_path)).frame)

    def checked_schema() -> TableSchema:
        schema = infer_schema(frame)
        validate_table(frame, schema)
        return schema

    schema = measure(steps, "schema", checked_schema)
    model = gen_models.create(model_name, seed=0, batch_size=500, auto_steps=budget)
    encoder = measure(steps, "fit encoder", lambda: model.make_encoder(DataLayout(), schema).fit(frame))
    width = measure(steps, "encode", lambda: encoder.transform(frame).shape[1])  # the matrix is let go at once
    result = measure(steps, "fit (encode + train)", lambda: model.fit(frame, schema=schema))
    steps.append({"step": "  of which training", "seconds": result.seconds, "peak_gb": None, "so_far": False})

    timers = {"sample": 0.0, "CSV": 0.0, "Parquet": 0.0}

    def sample_and_write() -> None:
        """The CLI's chunks, each written to both files before the next is made: memory holds one chunk."""
        writer = None
        with open(workdir / "sample.csv", "w", encoding="utf-8", newline="") as handle:
            for i, k in enumerate(chunk_sizes(n, CHUNK_ROWS)):
                started = time.perf_counter()
                chunk = model.sample(k, seed=i * SEED_STRIDE)
                timers["sample"] += time.perf_counter() - started
                started = time.perf_counter()
                write_csv(chunk, handle, header=i == 0)
                timers["CSV"] += time.perf_counter() - started
                started = time.perf_counter()
                arrow = pa.Table.from_pandas(chunk, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(workdir / "sample.parquet", arrow.schema)
                writer.write_table(arrow)
                timers["Parquet"] += time.perf_counter() - started
        writer.close()

    measure(steps, "sample + write", sample_and_write)
    for name, label in [
        ("sample", "  sample"),
        ("CSV", "  write CSV"),
        ("Parquet", "  write Parquet"),
    ]:
        steps.append({"step": label, "seconds": timers[name], "peak_gb": None, "so_far": False})
    return {
        "rows": n,
        "encoded_width": width,
        "training_steps": result.steps,
        "threads": threads.threads,
        "status": result.status,
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000,50000,100000,1000000")
    parser.add_argument("--model", default="wgan_gp")
    parser.add_argument("--steps", type=int, default=200, help="training step budget (auto_steps), every size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in a child process
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.model, args.steps, Path(args.workdir))))
        return
    results = []
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.model}, {args.steps} training steps; load average before (other work on the machine): {load}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(r) for r in args.rows.split(",")]:
            command = [sys.executable, "-m", "bench.bench_scale", "--one", str(n), "--model", args.model]
            command += ["--steps", str(args.steps), "--workdir", tmp]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{n} rows failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            report(results[-1])
    summary(results)


def report(result: dict) -> None:
    print(
        f"\n{result['rows']:,} rows x 20 columns -> {result['encoded_width']} encoded; {result['training_steps']} "
        f"training steps; {result['threads']} thread(s); {result['status']}"
    )
    print(f"  {'step':<24} {'seconds':>8} {'peak GB':>8}")
    for step in result["steps"]:
        peak = "" if step["peak_gb"] is None else f"{step['peak_gb']:.2f}" + (" so far" if step["so_far"] else "")
        print(f"  {step['step']:<24} {step['seconds']:>8.2f} {peak:>8}")


def summary(results: list[dict]) -> None:
    def seconds(result: dict, step: str) -> float:
        return next(s["seconds"] for s in result["steps"] if s["step"] == step)

    peak = max(s["peak_gb"] for r in results for s in r["steps"] if s["peak_gb"] is not None)
    print(f"\npeak memory {peak:.2f} GB (target <= {TARGET_MEMORY_GB} GB)")
    by_rows = {r["rows"]: r for r in results}
    if 50_000 in by_rows and 1_000_000 in by_rows:
        ratio = seconds(by_rows[1_000_000], "  of which training") / seconds(by_rows[50_000], "  of which training")
        print(f"training 1M / 50k rows at the same steps: {ratio:.2f}x (target <= {TARGET_TRAIN_RATIO}x)")
    if 1_000_000 in by_rows:
        took = seconds(by_rows[1_000_000], "  sample")
        print(f"sampling 1,000,000 rows: {took:.1f} s (target <= {TARGET_SAMPLE_SECONDS} s)")


if __name__ == "__main__":
    main()
