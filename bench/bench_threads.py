"""A training run's time with other CPU-bound work on the machine: the thread rule against the fair share.

    python -m bench.bench_threads [--model wgan_gp] [--data penguins] [--epochs 100] [--competitors 0,1,3]

Runs `python -m gen_models train` (default settings but the epochs, so a run takes seconds) with 0, 1 and 3
competing processes, each a plain Python busy loop holding one core. The CLI picks its thread count itself
(`gen_models.training.threads`: cores shared among runs, never more than the free cores). Reported per row:
the training time (the CLI's "Took" figure, without start-up), the threads picked, the slowdown against the
quiet run, and that slowdown over the fair share's.

Fair share: with k competitors a fair scheduler gives each of the 1 + k processes cores / (1 + k) cores. A run
that had all the cores alone should then take at most max(1, (1 + k) / cores) times its quiet time (never less
than its quiet time: a share of at least one core still runs one thread at full speed). Target: at most 1.5x
that. The "all cores" rows set $LATENT_LAB_THREADS to the core count, the old behaviour (torch's default), for
comparison.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gen_models.training.threads import THREADS_VARIABLE, available_cores

TARGET = 1.5
SETTLE_SECONDS = 1.0  # competitors run this long before the run starts, so its load reading sees them
BUSY_LOOP = "while True:\n    pass\n"


def train_seconds(args: argparse.Namespace, out: Path, threads: int | None) -> tuple[float, str]:
    """(training seconds, thread phrase) of one CLI run."""
    env = {k: v for k, v in os.environ.items() if k != THREADS_VARIABLE}
    if threads is not None:
        env[THREADS_VARIABLE] = str(threads)
    command = [sys.executable, "-m", "gen_models", "train", "--data", args.data, "--model", args.model]
    command += ["--out", str(out), "--epochs", str(args.epochs), "--seed", "0"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"training failed: {done.stderr[-1000:]}")
    took = re.search(r"Took ([0-9.]+)s", done.stderr)
    picked = re.search(r"; (\d+ threads?: [^)]*)\)", done.stderr)
    assert took is not None and picked is not None, done.stderr
    return float(took.group(1)), picked.group(1)


def with_competitors(k: int, run: Callable[[], tuple[float, str]]) -> tuple[float, str]:
    """Run `run()` while k busy-loop processes hold a core each; they are ended afterwards."""
    competitors = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(k)]
    try:
        time.sleep(SETTLE_SECONDS if k else 0.0)
        return run()
    finally:
        for process in competitors:
            process.terminate()
        for process in competitors:
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="wgan_gp")
    parser.add_argument("--data", default="penguins")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--competitors", default="0,1,3", help="comma-separated counts of busy loops")
    parser.add_argument("--no-old", action="store_true", help="skip the all-cores comparison rows")
    args = parser.parse_args()
    cores = available_cores()
    counts = [int(k) for k in args.competitors.split(",")]
    print(f"{args.model} on {args.data}, {args.epochs} epochs; {cores} cores; target: <= {TARGET}x the fair share")
    print(f"load average before (other work on the machine): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'competitors':>11}  {'threads':<44} {'seconds':>8} {'slowdown':>9} {'fair':>5} {'vs fair':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        quiet = None
        rows = [(k, None) for k in counts]
        if not args.no_old:
            rows += [(k, cores) for k in counts if k > 0]
        for k, threads in rows:
            seconds, picked = with_competitors(k, functools.partial(train_seconds, args, Path(tmp) / "model", threads))
            if quiet is None:
                quiet = seconds  # the first row: 0 competitors, the rule's own choice
            fair = max(1.0, (1 + k) / cores)
            slowdown = seconds / quiet
            label = picked if threads is None else f"all cores ({picked})"
            verdict = "" if threads is not None else ("  ok" if slowdown / fair <= TARGET else "  over target")
            ratio = slowdown / fair
            print(f"{k:>11}  {label:<44} {seconds:>8.1f} {slowdown:>8.2f}x {fair:>4.1f}x {ratio:>7.2f}x{verdict}")


if __name__ == "__main__":
    main()
