"""Figures for the README about the app itself: how fast the Explore sliders redraw, how fast the
server starts, how much memory it holds while a model trains, and what training in the app costs
beside the command line.

    python -m bench.bench_app            # all five; needs /usr/bin/chromium for (b)-(d)
    python -m bench.bench_app --server   # (a) and (e): no browser
    python -m bench.bench_app --overhead # (e) only

(a) server-side re-render of the Explore slider path: the functions the fragment calls on a
    slider move (sample + figure/picture building), median of 20, for 1,000 table rows and for
    64 images; for images also the Plotly-heatmap alternative we did not pick, and payload sizes;
(b) browser: slider move -> new samples on screen (image src / chart data changes), median of 10;
(c) `streamlit run` -> first page ready (script finished, title shown), and its GPU/CPU line shown;
(d) server resident memory (VmRSS of the server and its children, from /proc) while one training runs;
(e) app overhead: the same model, settings and data trained as the command line does (`model.fit`, then
    `save`) and as the Train page does (`ui.core.runs.start_run`: quality checks with keep-best, epoch
    snapshots, live samples, the final save), each in a thread with one torch thread at the training
    threads' lower priority; wall times, their ratio, and the run's own count of time spent on checks.
    Models: wgan_gp and autoregressive with their defaults on penguins.
Models: pretrained/infogan_mnist and pretrained/vae_penguins when present; otherwise tiny
stand-ins are trained first (the figures then say so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

import gen_models
from gen_models.data.datasets import dataset_info
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, start_server, stop_server, wait_idle
from ui.core.plots import distribution_figure, image_cells, image_grid_png, loss_figure, tile

ROOT = Path(__file__).resolve().parents[1]

PRETRAINED = ROOT / "pretrained"
REPEATS = 20
BROWSER_REPEATS = 10


def median_ms(action, repeats: int = REPEATS) -> float:  # noqa: ANN001
    action()  # warm-up: first torch call, font loading
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def image_model() -> tuple[gen_models.GenerativeModel, str]:
    if (PRETRAINED / "infogan_mnist" / "model.json").is_file():
        return gen_models.load(PRETRAINED / "infogan_mnist"), "infogan_mnist (pretrained)"
    model = gen_models.create("infogan", epochs=1, seed=0, conv_channels=32, fc_width=128)
    model.fit(gen_models.load_dataset("mnist").head(500), layout=dataset_info("mnist").layout)
    return model, "infogan on 28x28 MNIST, 1 epoch stand-in (pretrained/infogan_mnist missing)"


def table_model() -> tuple[gen_models.GenerativeModel, str]:
    if (PRETRAINED / "vae_penguins" / "model.json").is_file():
        return gen_models.load(PRETRAINED / "vae_penguins"), "vae_penguins (pretrained)"
    model = gen_models.create("vae", epochs=5, seed=0)
    model.fit(gen_models.load_dataset("penguins"))
    return model, "vae on penguins, 5 epochs stand-in"


# The slider path is measured on each of these that is there, so the models' redraw times sit side by side.
TABLE_MODELS = (
    "vae_penguins",
    "wgan_gp_penguins",
    "gan_weather",
    "autoregressive_penguins",
    "flow_penguins",
    "mmd_penguins",
)


def table_models() -> list[tuple[gen_models.GenerativeModel, str]]:
    found = [
        (gen_models.load(PRETRAINED / name), f"{name} (pretrained)")
        for name in TABLE_MODELS
        if (PRETRAINED / name / "model.json").is_file()
    ]
    return found or [table_model()]


def server_side() -> None:
    """(a) What one slider move costs the server, per data kind."""
    import torch

    torch.set_num_threads(1)  # as app.py does
    print(f"(a) server-side slider path, median of {REPEATS}:")
    for model, name in table_models():
        kinds = model.schema.kinds()
        shown = list(kinds)[:3]  # the Explore page compares 3 columns by default
        code = next(c for c in model.latent_codes() if c.kind == "continuous")
        held = {code.name: code.low + 0.75 * (code.high - code.low)}  # a slider moved three quarters up

        def table_path(model=model, kinds=kinds, shown=shown, held=held) -> None:  # noqa: ANN001
            rows = model.sample(1000, codes=held, seed=0)
            for column in shown:
                distribution_figure(column, kinds[column], rows[column], None).to_plotly_json()

        def ten_thousand(model=model) -> None:  # noqa: ANN001
            model.sample(10_000, seed=0)

        print(
            f"    table, 1,000 rows + 3 distribution figures [{name}]: {median_ms(table_path):.1f} ms; "
            f"sampling 10,000 rows: {median_ms(ten_thousand, repeats=5):.0f} ms"
        )

    model, name = image_model()
    shape = model.encoder.shape
    held = {"c2": 1.0} if any(c.name == "c2" for c in model.latent_codes()) else {}

    def sample() -> np.ndarray:
        return model.sample_encoded(64, codes=held, seed=0).numpy()

    images = sample()
    png = image_grid_png(images, shape)
    heatmap = go.Figure(go.Heatmap(z=tile(image_cells(images, shape), 8, 1), colorscale="gray", showscale=False))
    spec = heatmap.to_json()
    print(f"    64 images, sample only [{name}]: {median_ms(sample):.1f} ms")
    print(f"    64 images, sample + one PNG grid (chosen): {median_ms(lambda: image_grid_png(sample(), shape)):.1f} ms,"
          f" {len(png) / 1024:.0f} kB to the browser")  # fmt: skip

    def heatmap_path() -> None:
        cells = tile(image_cells(sample(), shape), 8, 1)
        go.Figure(go.Heatmap(z=cells, colorscale="gray", showscale=False)).to_json()

    print(f"    64 images, sample + Plotly heatmap (not chosen): {median_ms(heatmap_path):.1f} ms,"
          f" {len(spec) / 1024:.0f} kB spec to the browser")  # fmt: skip


def browser_figures() -> None:
    """(b)-(d): a real server and Chromium."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        print("(b)-(d) skipped: /usr/bin/chromium is not installed")
        return
    runs_dir = Path(tempfile.mkdtemp(prefix="bench_app_"))
    os.environ["LATENT_LAB_PRETRAINED"] = str(pretrained_folder(runs_dir))
    port = free_port()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        started = time.perf_counter()
        proc = start_server(runs_dir, port)
        healthy = time.perf_counter() - started
        try:
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function(IDLE, timeout=60_000)
            page.get_by_text("Four steps").wait_for()
            ready = time.perf_counter() - started
            page.get_by_text("Training runs on").wait_for(timeout=60_000)  # once torch has loaded (ui/core/startup.py)
            device = time.perf_counter() - started
            print(f"(c) streamlit run -> health check answers: {healthy:.1f} s; -> first page ready: {ready:.1f} s;"
                  f" -> its GPU/CPU line shown: {device:.1f} s")  # fmt: skip

            page.goto(f"http://127.0.0.1:{port}/explore")
            wait_idle(page)
            slider_latency(page, "infogan_mnist", "images")
            slider_latency(page, "vae_penguins", "table")
            training_memory(page, port, proc.pid)
        finally:
            stop_server(proc)
            browser.close()


SRC = "() => document.querySelector('[data-testid=stImage] img')?.getAttribute('src') || ''"
CHART = (
    "() => JSON.stringify(Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".map(gd => (gd._fullData || []).map(t => Array.from(t.y || []))))"
)


def pretrained_folder(scratch: Path) -> Path:
    """The models the benchmark server offers: pretrained/, plus saved stand-ins for missing ones."""
    folder = scratch / "pretrained"
    folder.mkdir()
    for model_dir in PRETRAINED.glob("*/model.json"):
        (folder / model_dir.parent.name).symlink_to(model_dir.parent)
    for name, make in (("infogan_mnist", image_model), ("vae_penguins", table_model)):
        if not (folder / name).exists():
            make()[0].save(folder / name)
    return folder


def slider_latency(page, model: str, kind: str) -> None:  # noqa: ANN001
    """(b) ArrowRight on the first slider -> the image src (images) or chart data (tables) changes."""
    stand_in = "" if (PRETRAINED / model / "model.json").is_file() else ", a stand-in"
    page.locator("[data-testid=stSelectbox]").filter(has_text="Model").first.click()
    page.get_by_role("option", name=model, exact=False).first.click()
    wait_idle(page)
    probe = SRC if kind == "images" else CHART
    page.wait_for_function(f"({probe})() !== '' && ({probe})() !== '[]'", timeout=60_000)
    slider = page.get_by_role("slider").first
    times = []
    for _ in range(BROWSER_REPEATS + 1):
        before = page.evaluate(probe)
        slider.focus()
        started = time.perf_counter()
        slider.press("ArrowRight")
        page.wait_for_function(f"({probe})() !== {json.dumps(before)}", timeout=20_000, polling=10)
        times.append(time.perf_counter() - started)
        wait_idle(page)
    moves = [1000 * t for t in times[1:]]  # the first move also warms the page up
    print(f"(b) browser, slider move -> new {kind} shown [{model}{stand_in}]: median {statistics.median(moves):.0f} ms"
          f" (min {min(moves):.0f}, max {max(moves):.0f}, {BROWSER_REPEATS} moves)")  # fmt: skip


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (VmRSS from /proc)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(child) for child in children)
        except OSError:
            continue
    return total / 1024


def training_memory(page, port: int, pid: int) -> None:  # noqa: ANN001
    """(d) Start the default training on the Train page and sample the server's memory while it runs."""
    idle = rss_mb(pid)
    page.goto(f"http://127.0.0.1:{port}/train")
    wait_idle(page)
    page.get_by_role("button", name="Or use the Palmer penguins example").click()
    wait_idle(page)
    page.get_by_role("button", name="Start training").click()
    peak, deadline = idle, time.monotonic() + 30
    while time.monotonic() < deadline:
        peak = max(peak, rss_mb(pid))
        page.wait_for_timeout(500)
    print(f"(d) server memory (VmRSS incl. children): {idle:.0f} MB after the benchmarks above; "
          f"peak {peak:.0f} MB during 30 s of one WGAN-GP training on penguins")  # fmt: skip


OVERHEAD_MODELS = ("wgan_gp", "autoregressive", "series_ar")
# Each model's data: penguins for the table models, the hourly temperatures (conditioned on city) for series.
OVERHEAD_DATA = {"series_ar": "temperatures", "rcgan": "temperatures"}
OVERHEAD_REPEATS = 2  # command line and app alternate, this many times each
POLL_SECONDS = 2.0  # as app_pages/train.py's live fragments: progress and curves ...
SAMPLES_POLL_SECONDS = 6.0  # ... and the generated samples


def as_worker(work) -> tuple[float, float]:  # noqa: ANN001
    """(wall, CPU) seconds of `work()` in a thread set up as a training worker (lower priority, its torch threads).

    CPU time is the whole process's, so it counts the threads the work starts (and the poller's); it is
    what the comparison rests on when other jobs share the machine and wall times wander."""
    from ui.core.runs import _lower_priority
    from ui.core.startup import use_training_threads

    seconds: list[tuple[float, float]] = []

    def body() -> None:
        _lower_priority()
        use_training_threads()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        seconds.append((time.perf_counter() - wall, time.process_time() - cpu))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return seconds[0]


def poll_like_the_page(run, done: threading.Event, cpu: list[float]) -> None:  # noqa: ANN001
    """What the Train page's live fragments do on the server while a run trains: copy the run's state and
    build the loss and quality charts every POLL_SECONDS, the live sample charts every SAMPLES_POLL_SECONDS
    (serialised, as Streamlit sends them). Appends its own CPU seconds to `cpu`: that cost follows the wall
    time, which other jobs on the machine stretch."""
    from ui.core.plots import sequences_figure
    from ui.widgets.models import sequence_curves
    from ui.widgets.quality import quality_figure

    started = time.thread_time()
    series = run.layout is not None and run.layout.kind == "sequences"
    kinds = run.schema.kinds(include_ignored=True)
    columns = list(run.schema.used_columns)[:4]
    polls = 0
    while not done.wait(POLL_SECONDS):
        snap = run.snapshot()
        loss_figure(snap.history).to_json()
        quality_figure(snap.quality, None, height=320).to_json()
        polls += 1
        if snap.samples is not None and polls % round(SAMPLES_POLL_SECONDS / POLL_SECONDS) == 0 and series:
            steps, generated, names = sequence_curves(run.model.encoder, snap.samples)
            _, real, _ = sequence_curves(run.model.encoder, run.frame)
            sequences_figure(steps, generated[:12, :, 0], real[:12, :, 0], names[0], "step").to_json()
        elif snap.samples is not None and polls % round(SAMPLES_POLL_SECONDS / POLL_SECONDS) == 0:
            for column in columns:
                figure = distribution_figure(column, kinds[column], snap.samples[column], run.frame[column], height=220)
                figure.to_json()
    cpu.append(time.thread_time() - started)


def app_overhead(models: tuple[str, ...] = OVERHEAD_MODELS, repeats: int = OVERHEAD_REPEATS) -> None:
    """(e) The command line's training beside the app's, same model, settings, data and seed."""
    from gen_models.latent.directions import store_directions
    from ui.core import runs

    scratch = Path(tempfile.mkdtemp(prefix="bench_app_overhead_"))
    print(
        f"(e) app overhead, default settings, seed 0; median of {repeats}, "
        "command line and app alternating; the app with quality checks (keep best), snapshots, live samples "
        f"and a poller doing the page's work (every {POLL_SECONDS:g} s, samples every {SAMPLES_POLL_SECONDS:g} s):"
    )
    for name in models:
        dataset = OVERHEAD_DATA.get(name, "penguins")
        frame = gen_models.load_dataset(dataset)
        info = dataset_info(dataset)
        layout = info.layout if info.kind != "table" else None
        condition = info.label if layout is not None else None
        schema = gen_models.infer_schema(frame)
        cli_times, app_times, checks, polling = [], [], [], []
        for repeat in range(repeats):
            model = gen_models.create(name, seed=0)

            def cli(model=model) -> None:  # noqa: ANN001 - what `python -m gen_models train` does
                model.fit(frame, schema=schema, layout=layout, condition=condition)
                store_directions(model)
                model.save(scratch / "cli")

            cli_times.append(as_worker(cli))
            session = f"bench{name.replace('_', '')}{repeat}"
            wall, cpu = time.perf_counter(), time.process_time()
            run = runs.start_run(
                session,
                scratch / session,
                gen_models.create(name, seed=0),
                frame,
                schema,
                condition,
                dataset,
                dataset,
                layout=layout,
            )
            done = threading.Event()
            poller = threading.Thread(target=poll_like_the_page, args=(run, done, polling))
            poller.start()
            run.wait()
            done.set()
            poller.join()
            app_times.append((time.perf_counter() - wall, time.process_time() - cpu))
            run_info = run.current_info()
            checks.append((run_info.check_seconds, run_info.seconds))
            runs.forget_session(session, scratch / session)
        cli_wall, cli_cpu = (statistics.median(t[i] for t in cli_times) for i in (0, 1))
        app_wall, app_cpu = (statistics.median(t[i] for t in app_times) for i in (0, 1))
        check_seconds, train_seconds = (statistics.median(c[i] for c in checks) for i in (0, 1))
        poll_cpu = statistics.median(polling)
        print(
            f"    {name} on {dataset} ({run_info.epochs_completed} epochs): command line {cli_wall:.1f} s wall / {cli_cpu:.1f} s CPU, "
            f"app {app_wall:.1f} s / {app_cpu:.1f} s: ratio {app_wall / cli_wall:.2f} wall, "
            f"{app_cpu / cli_cpu:.2f} CPU ({(app_cpu - poll_cpu) / cli_cpu:.2f} without the page's polling, "
            f"which took {poll_cpu:.1f} s CPU over {app_wall:.0f} s); "
            f"the run's checks and live samples took {check_seconds:.1f} s of its {train_seconds:.1f} s "
            f"({100 * check_seconds / max(train_seconds, 1e-9):.0f}%)"
        )
    shutil.rmtree(scratch, ignore_errors=True)  # the runs' folders and the command line's model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="store_true", help="only (a) and (e), no browser")
    parser.add_argument("--overhead", action="store_true", help="only (e), the app's training overhead")
    parser.add_argument("--models", default=",".join(OVERHEAD_MODELS), help="(e)'s models, comma-separated")
    parser.add_argument("--repeats", type=int, default=OVERHEAD_REPEATS, help="(e)'s runs of each kind per model")
    args = parser.parse_args()
    if not args.overhead:
        server_side()
    if not args.server and not args.overhead:
        browser_figures()
    app_overhead(tuple(name.strip() for name in args.models.split(",") if name.strip()), args.repeats)


if __name__ == "__main__":
    main()
