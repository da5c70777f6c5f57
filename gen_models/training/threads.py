"""How many intra-op threads training uses: one rule, set once per run, for the CLI, the app and scripts.

torch starts one intra-op thread per core. Our networks are small, so a step gains little from many
threads, and when other work holds some cores the threads that lose their core stall every step's
barrier: on a busy 2-core machine a default WGAN-GP ran about 40x slower than alone (issue #17). The
rule here:

    threads = max(1, min((cores - reserved) // concurrent_runs, free cores))

- cores: the CPUs this process may run on (its affinity set, cut to a cgroup CPU quota where one is set);
- concurrent_runs: how many trainings share those cores (the app's training slots, torchrun's processes on
  this machine); each gets an equal share;
- reserved: cores kept for other work of the same process (the app keeps one for serving pages);
- free cores: cores minus those busy with other work, measured over a short window from /proc/stat
  (Linux; elsewhere every core counts as free). A run started on a busy machine takes only what is left.
- $LATENT_LAB_THREADS, when set, is the answer (at least 1), whatever the rest says.

Threads within one process (the app): torch documents `set_num_threads` as process-wide. With this build's
OpenMP backend the count is in fact kept per OS thread: a worker's call changes that worker (and threads it
starts later), not the others. The app therefore sets the same count, computed from its number of training
slots and never from the load of the moment, in every worker as it starts; either way the workers together use
at most the cores set aside for training. It does not measure free cores, because the busy cores it would see
are often its own other runs, which already have their share.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from gen_models.errors import ModelError

THREADS_VARIABLE = "LATENT_LAB_THREADS"
# Long enough to see a busy loop hold a core, short enough not to be noticed at the start of a run.
LOAD_WINDOW_SECONDS = 0.25
PROC_STAT = Path("/proc/stat")
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass(frozen=True)
class ThreadChoice:
    """The thread count picked for a run and the facts it was picked from."""

    threads: int
    cores: int
    busy: float | None  # cores busy with other work (None: not measured)
    reason: str  # one phrase for progress lines, e.g. "2 cores, 1.0 busy with other work"


def available_cores() -> int:
    """CPUs this process may run on: its affinity set (a container's CPU set), cut to a cgroup v2 CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 file, or one we cannot read: the affinity set stands
        pass
    return max(1, cpus)


def _cpu_times() -> dict[str, tuple[int, int]]:
    """/proc/stat's per-CPU (idle + iowait, total) jiffies, by CPU name ('cpu0', ...)."""
    times = {}
    for line in PROC_STAT.read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(v) for v in fields[:8]]
            times[name] = (values[3] + values[4], sum(values))
    return times


def busy_cores(window: float = LOAD_WINDOW_SECONDS) -> float | None:
    """Cores of this process's affinity set busy over the next `window` seconds, or None where unknown.

    The calling thread sleeps meanwhile, so its own work is not counted (other threads of the process are).
    """
    try:
        mine = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        before = _cpu_times()
        time.sleep(window)
        after = _cpu_times()
    except (AttributeError, OSError, ValueError):
        return None
    busy = 0.0
    for name in mine & before.keys() & after.keys():
        idle = after[name][0] - before[name][0]
        total = after[name][1] - before[name][1]
        if total > 0:
            busy += 1.0 - idle / total
    return busy


def choose_threads(
    concurrent_runs: int = 1,
    *,
    reserved: int = 0,
    busy: float | None = None,
    cores: int | None = None,
    environ: dict[str, str] | None = None,
) -> ThreadChoice:
    """The intra-op thread count for one of `concurrent_runs` trainings (see the module docstring).

    busy: cores busy with other work (from `busy_cores`), or None to ignore the load.
    cores: the cores to share (default `available_cores()`); environ: default os.environ.
    """
    if concurrent_runs < 1:
        raise ModelError(f"concurrent_runs must be at least 1, not {concurrent_runs}.")
    environ = os.environ if environ is None else environ
    cores = available_cores() if cores is None else cores
    text = environ.get(THREADS_VARIABLE, "").strip()
    if text:
        try:
            threads = int(text)
        except ValueError:
            raise ModelError(f"${THREADS_VARIABLE} must be a whole number of threads, not {text!r}.") from None
        return ThreadChoice(max(1, threads), cores, None, f"${THREADS_VARIABLE}={text}")
    share = (cores - reserved) // concurrent_runs
    reason = f"{cores} core{'s' * (cores != 1)}"
    if reserved:
        reason += f", {reserved} kept for other work"
    if concurrent_runs > 1:
        reason += f", shared by {concurrent_runs} runs"
    if busy is not None:
        free = cores - round(busy)
        share = min(share, free)
        reason += f", {busy:.1f} busy with other work"
    return ThreadChoice(max(1, share), cores, busy, reason)


def set_training_threads(
    concurrent_runs: int = 1, *, reserved: int = 0, measure_load: bool = True, requested: int | None = None
) -> ThreadChoice:
    """Pick the thread count (`choose_threads`) and give it to torch for the calling thread; returns the choice.

    measure_load: look at how busy the cores are first (`busy_cores`, a quarter of a second).
    requested: a count the caller must have (a recipe that reproduces weights bit for bit: a run's sums depend
        on its thread count); it wins over everything but $LATENT_LAB_THREADS.
    On a GPU the count only drives the CPU side (data, sampling); the rule is the same.
    """
    if requested is not None and not os.environ.get(THREADS_VARIABLE, "").strip():
        choice = ThreadChoice(max(1, requested), available_cores(), None, "asked for")
    else:
        busy = busy_cores() if measure_load else None
        choice = choose_threads(concurrent_runs, reserved=reserved, busy=busy)
    if torch.get_num_threads() != choice.threads:
        torch.set_num_threads(choice.threads)
    return choice
