"""How long each table model's default budget takes on a 10,000 x 20 mixed table (issue #17: "about a minute").

    python -m bench.bench_defaults [--models autoregressive,wgan_gp,...] [--threads 2]

The table is bench_scale's (seeded; numbers, categories, empty cells). Each model trains with its own defaults,
as `python -m gen_models train --data FILE --model NAME` would, in a process of its own so that one model's
threads and memory do not colour the next one's time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

DEFAULT_MODELS = ("autoregressive", "vae", "gan", "wgan_gp", "flow", "mmd")
ROWS = 10_000


def one_model(name: str, threads: int) -> None:
    import torch

    import gen_models
    from bench.bench_scale import make_table

    torch.set_num_threads(threads)
    frame = make_table(ROWS)
    started = time.perf_counter()
    result = gen_models.create(name, seed=0).fit(frame)
    seconds = time.perf_counter() - started
    print(f"| {name} | {seconds:.1f} s | {result.epochs_completed} | {result.steps} | {result.status} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated registry names")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for each model's process")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: train this model
    args = parser.parse_args()
    if args.one:
        one_model(args.one, args.threads)
        return
    print(f"Default budgets on {ROWS:,} rows x 20 columns, {args.threads} threads, one process per model:")
    print("| model | fit time | epochs | steps | status |\n|---|---|---|---|---|", flush=True)
    for name in args.models.split(","):
        command = [sys.executable, "-m", "bench.bench_defaults", "--one", name.strip(), "--threads", str(args.threads)]
        subprocess.run(command, check=False)


if __name__ == "__main__":
    main()
