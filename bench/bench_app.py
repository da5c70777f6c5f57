"""Figures for the README about the app itself: how fast the Explore sliders redraw, how fast the
server starts, how much memory it holds while a model trains.

    python -m bench.bench_app            # all four; needs /usr/bin/chromium for (b)-(d)
    python -m bench.bench_app --server   # (a) only: no browser

(a) server-side re-render of the Explore slider path: the functions the fragment calls on a
    slider move (sample + figure/picture building), median of 20, for 1,000 table rows and for
    64 images; for images also the Plotly-heatmap alternative we did not pick, and payload sizes;
(b) browser: slider move -> new samples on screen (image src / chart data changes), median of 10;
(c) `streamlit run` -> first page ready (script finished, title shown), and its GPU/CPU line shown;
(d) server resident memory (VmRSS of the server and its children, from /proc) while one training runs.
Models: pretrained/infogan_mnist and pretrained/vae_penguins when present; otherwise tiny
stand-ins are trained first (the figures then say so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

import gen_models
from gen_models.data.datasets import dataset_info
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, start_server, stop_server, wait_idle
from ui.core.plots import distribution_figure, image_cells, image_grid_png, tile

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


def server_side() -> None:
    """(a) What one slider move costs the server, per data kind."""
    import torch

    torch.set_num_threads(1)  # as app.py does
    model, name = table_model()
    kinds = model.schema.kinds()
    shown = list(kinds)[:3]  # the Explore page compares 3 columns by default

    def table_path() -> None:
        rows = model.sample(1000, codes={"z0": 1.0}, seed=0)
        for column in shown:
            distribution_figure(column, kinds[column], rows[column], None).to_plotly_json()

    print(f"(a) server-side slider path, median of {REPEATS}:")
    print(f"    table, 1,000 rows + 3 distribution figures [{name}]: {median_ms(table_path):.1f} ms")

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="store_true", help="only (a), the server-side timings")
    args = parser.parse_args()
    server_side()
    if not args.server:
        browser_figures()


if __name__ == "__main__":
    main()
