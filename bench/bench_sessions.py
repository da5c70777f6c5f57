"""Server memory after many sessions come and go (issue #15): does it return to where it started?

    python -m bench.bench_sessions                  # 20 sessions, WGAN-GP on penguins, 20 epochs each
    python -m bench.bench_sessions --sessions 40 --epochs 5 --model vae

Everything goes through `ui.core.runs`, as the Train page does, in this one process (the server's part):
1. start: torch, the models and the quality monitor loaded, and one warm-up run trained and forgotten, so
   one-off costs (first torch calls, imports) are not counted as the sessions' memory;
2. every session starts a run on its own copy of the table (a person's upload); the runs wait in line
   under the server's limit and train one after another; then all have ended;
3. the sessions go away: `drop_idle_sessions` as the idle limit does it, then a garbage collection.
RSS (resident memory, from /proc/self/status) is printed after each step; the target is step 3 within
100 MB of step 1.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import gen_models
from ui.core import runs

TARGET_MB = 100


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def train_sessions(root: Path, names: list[str], model: str, epochs: int) -> list[runs.TrainingRun]:
    frame = gen_models.load_dataset("penguins")
    schema = gen_models.infer_schema(frame)
    started = []
    for name in names:
        own = frame.copy()  # each session brings its own table
        created = gen_models.create(model, epochs=epochs, seed=0)
        started.append(runs.start_run(name, root / name, created, own, schema, None, "penguins", "penguins"))
    for run in started:
        assert run.wait(timeout=3600), f"run {run.run_id} did not end"
    return started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--model", default="wgan_gp")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        warm = train_sessions(root, ["warmup00000a"], args.model, args.epochs)
        runs.forget_session("warmup00000a", root / "warmup00000a")
        del warm
        gc.collect()
        start = rss_mb()
        print(f"1. start (after a warm-up run): {start:.0f} MB")

        names = [f"{i:012x}" for i in range(1, args.sessions + 1)]
        ended = train_sessions(root, names, args.model, args.epochs)
        statuses = {run.current_info().status for run in ended}
        del ended
        gc.collect()
        held = rss_mb()
        disk = sum(runs.folder_bytes(root / name) for name in names) / 1e6
        print(
            f"2. {args.sessions} sessions' runs ended ({', '.join(sorted(statuses))}), still in memory: {held:.0f} MB "
            f"({held - start:+.0f} MB; {disk:.0f} MB on disk)"
        )

        dropped = runs.drop_idle_sessions(now=time.monotonic() + runs.idle_seconds() + 1)
        gc.collect()
        after = rss_mb()
        print(f"3. {len(dropped)} idle sessions dropped: {after:.0f} MB ({after - start:+.0f} MB)")
        verdict = "within" if after - start <= TARGET_MB else "NOT within"
        print(f"{verdict} {TARGET_MB} MB of the start; {time.perf_counter() - began:.0f} s in all")


if __name__ == "__main__":
    main()
