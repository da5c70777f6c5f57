"""Torch, loaded in the background once per server process, so the first page does not wait for it.

Importing torch takes seconds, longer than everything else on the Home page put together. Home
does not need it (the model list and pretrained cards come from gen_models.catalogue and JSON
files), so app.py starts `load_torch_in_background()` after the page has been drawn, and a page
that needs torch before the thread is done simply waits at its own `import` (Python's import lock).
Home's one torch fact, whether a GPU is in use, is shown once `torch_ready` is set.
"""

from __future__ import annotations

import threading

torch_ready = threading.Event()  # set once torch and the model code are imported and configured
_started = threading.Lock()  # held forever by the first caller: the thread starts once


def use_training_threads() -> None:
    """Give the calling thread, and the threads it starts, the app's torch thread count.

    The cores less one (kept for serving pages), divided among the training slots (`runs.max_trainings()`):
    one thread on a 2-core server, where more fight the other sessions' training and the web server (10x
    slower steps measured). The same count in every worker, never the load of the moment: see
    `gen_models.training.threads` on why, with threads in one process. Called by the loading thread below and
    by every training worker as it starts (ui/core/runs.py), so a run started before loading is done follows it.
    """
    from gen_models.training.threads import set_training_threads
    from ui.core.runs import max_trainings  # here, not at the top: runs imports this module

    set_training_threads(max_trainings(), reserved=1, measure_load=False)


use_one_torch_thread = use_training_threads  # its earlier name, which bench/bench_app.py still calls


def _load_torch() -> None:
    import gen_models.models  # noqa: F401 - the model classes and checkpoint code, for the next page

    use_training_threads()
    torch_ready.set()


def load_torch_in_background() -> None:
    """Start the loading thread, the first time this is called in the process; later calls do nothing."""
    if _started.acquire(blocking=False):
        threading.Thread(target=_load_torch, name="latent-lab-load-torch", daemon=True).start()


def gpu_name() -> str | None:
    """The GPU training runs on, or None for the CPU. Only call once `torch_ready` is set."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
