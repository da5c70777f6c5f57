"""How long a page takes while the server trains (issue #15): the training limit and the lower priority of training.

    python -m bench.bench_load                                   # the settings below, 3 repeats each
    python -m bench.bench_load --settings 0 4@4:0 4 --repeats 5 --pages home train --json load.json

A setting is SESSIONS[@LIMIT][:NICENESS]: SESSIONS sessions each start a training and watch it on the Train
page, the server trains at most LIMIT at once (default: ui.core.runs.max_trainings(), cores - 1, at least 1;
the others wait in line), and training threads are niced by NICENESS (default ui.core.runs.TRAINING_NICENESS;
0 is the old behaviour, the same priority as pages). The default settings are 0 (the baseline), 1, the four
sessions of issue #15's report as they were (4@4:0: four trainings at once, not niced), four sessions with
four trainings niced (4@4), and four sessions under the default limit (4).

For each setting a fresh server starts on a free localhost port: `python -m bench.bench_load --serve` starts
the trainings in its own process through `ui.core.runs.start_run` (one session each, WGAN-GP on penguins, the
Train page's default, or --model on --dataset; epochs enough to outlast the measurement), exactly as the Train
page does, then runs `streamlit run app.py` in that same process, so pages and trainings share one interpreter
as they do in production. Each session then has a watcher: a websocket client that opens its Train page and reruns the
page's live fragment as often as the server asks (run_every), as a browser tab left open on it does. Then,
from this process, for each page:
- GET: an HTTP GET of the page's address (the static index: is the server's event loop answering?);
- page: the page run over the app's websocket (/_stcore/stream) as a browser asks for it: connect, ask for the
  page, until the server says the script has finished. This is what a person waits for;
- AppTest: a full AppTest run of the page in this process (it competes with the server for the CPU, not for
  the server's interpreter lock).
The Train page is opened in a session that has the penguins chosen (the whole form is drawn); Explore shows
the first pretrained model. Each figure is the median and the worst of `--repeats` tries after one warm-up.
Timings are wall-clock on whatever else the machine is doing: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.browser_helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"home": "", "train": "train", "explore": "explore"}  # name -> url path
DATA_SESSION = "0000000000da"  # the session whose chosen data is the penguins (old-style id: still accepted)
TARGET_SECONDS = 5.0


def serve(port: int, sessions: int, niceness: int, model_name: str, dataset: str) -> None:
    """The server process: start the trainings, then run the app in this process (does not return)."""
    from streamlit.web import cli

    import gen_models
    from gen_models.data.datasets import dataset_info
    from gen_models.models import REGISTRY
    from ui.core import runs

    runs.TRAINING_NICENESS = niceness
    root = Path(os.environ["LATENT_LAB_RUNS"])
    info = dataset_info(dataset)
    frame = gen_models.load_dataset(dataset)
    schema = gen_models.infer_schema(frame)
    condition = info.label if REGISTRY[model_name].supports_condition else None  # as the Train page proposes
    for i in range(sessions):
        session = training_session(i)
        model = gen_models.create(model_name, epochs=100_000, seed=i)
        runs.start_run(session, root / session, model, frame, schema, condition, dataset, dataset, layout=info.layout)
    sys.argv = [
        "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    cli.main()


def training_session(i: int) -> str:
    return f"{i + 1:012x}"


def start_server(
    runs_dir: Path, sessions: int, limit: int, niceness: int, training: tuple[str, str]
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "LATENT_LAB_RUNS": str(runs_dir), "LATENT_LAB_MAX_TRAININGS": str(limit)}
    serve = ["--serve", str(port), str(sessions), str(niceness), *training]
    command = [sys.executable, "-m", "bench.bench_load", *serve]
    log = open(runs_dir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early; see {runs_dir / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as reply:
                if reply.read() == b"ok":
                    return proc, port
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not answer /_stcore/health in time")


def http_get(port: int, path: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=600) as reply:
        reply.read()
    return time.perf_counter() - started


def connect(port: int):  # noqa: ANN201 - a websockets ClientConnection
    from websockets.sync.client import connect

    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    return connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=600)


def ask_for(socket, path: str, query: str, fragment: str = "") -> None:  # noqa: ANN001
    """What a browser sends to (re)run a page, or one of its fragments."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    ask = BackMsg()
    ask.rerun_script.query_string = query
    ask.rerun_script.page_name = path
    if fragment:
        ask.rerun_script.fragment_id = fragment
        ask.rerun_script.is_auto_rerun = True
    socket.send(ask.SerializeToString())


def until_finished(socket, path: str) -> tuple[str, float] | None:  # noqa: ANN001
    """Read the server's messages until the run finishes; the polling fragment it asked for, if any."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    polling = None
    while True:
        message = ForwardMsg()
        message.ParseFromString(socket.recv(timeout=600))
        kind = message.WhichOneof("type")
        if kind == "auto_rerun":
            polling = (message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "script_finished":
            done = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
            if message.script_finished in done:
                return polling
            if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # a rerun follows: keep waiting
                raise RuntimeError(f"the page {path!r} did not finish: status {message.script_finished}")


def page_run(port: int, path: str, query: str) -> float:
    """Seconds from opening the app's websocket to the server's "script finished" for the page."""
    started = time.perf_counter()
    with connect(port) as socket:
        ask_for(socket, path, query)
        until_finished(socket, path)
    return time.perf_counter() - started


class Watcher(threading.Thread):
    """A browser tab left open on a session's Train page: it reruns the live fragment as the server asks."""

    def __init__(self, port: int, session: str) -> None:
        super().__init__(daemon=True)
        self.port, self.query = port, f"session={session}"
        self.done = threading.Event()
        self.reruns = 0

    def run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self.watch()
        except ConnectionClosed:  # the server is stopped at the end of its setting
            pass

    def watch(self) -> None:
        with connect(self.port) as socket:
            ask_for(socket, "train", self.query)
            polling = until_finished(socket, "train")
            while not self.done.is_set():
                if polling is None:  # nothing to poll (yet): look at the page again, as a person would
                    time.sleep(5.0)
                    ask_for(socket, "train", self.query)
                else:
                    time.sleep(polling[1])
                    ask_for(socket, "train", self.query, fragment=polling[0])
                polling = until_finished(socket, "train") or polling
                self.reruns += 1


def apptest_run(page: str, query: str) -> float:
    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if query:
        at.query_params["session"] = query.split("=", 1)[1]
    at.run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py").run()
    if at.exception:
        raise RuntimeError(f"AppTest of {page}: {at.exception[0].message}")
    return time.perf_counter() - started


def figures(times: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(times), 2), "worst_s": round(max(times), 2)}


def measure(sessions: int, limit: int, niceness: int, pages: list[str], repeats: int, training: tuple) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        runs_dir = Path(tmp)
        (runs_dir / DATA_SESSION).mkdir()
        choice = {"label": "Palmer penguins (bundled)", "source": "bundled:penguins", "overrides": {}, "layout": {}}
        (runs_dir / DATA_SESSION / "current_data.json").write_text(json.dumps(choice), encoding="utf-8")
        os.environ["LATENT_LAB_RUNS"] = str(runs_dir)  # the AppTest runs here read the same folder
        proc, port = start_server(runs_dir, sessions, limit, niceness, training)
        watchers = [Watcher(port, training_session(i)) for i in range(sessions)]
        for watcher in watchers:
            watcher.start()
        started = time.monotonic()
        try:
            result: dict = {"sessions": sessions, "limit": limit, "niceness": niceness, "pages": {}}
            for page in pages:
                query = f"session={DATA_SESSION}" if page == "train" else ""
                http_get(port, PAGES[page])  # warm-up: imports, caches, the trainings' first steps
                page_run(port, PAGES[page], query)
                apptest_run(page, query)
                got = {"get": [], "page": [], "apptest": []}
                for _ in range(repeats):
                    got["get"].append(http_get(port, PAGES[page]))
                    got["page"].append(page_run(port, PAGES[page], query))
                    got["apptest"].append(apptest_run(page, query))
                result["pages"][page] = {kind: figures(times) for kind, times in got.items()}
            result["load_average"] = round(os.getloadavg()[0], 1)
            statuses = [json.loads(path.read_text())["status"] for path in runs_dir.glob("*/*/run.json")]
            result["training"], result["waiting"] = statuses.count("running"), statuses.count("queued")
            seconds = time.monotonic() - started
            result["watcher_reruns_per_s"] = round(sum(w.reruns for w in watchers) / seconds, 2)
            return result
        finally:
            for watcher in watchers:
                watcher.done.set()
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    if len(sys.argv) == 7 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
        return
    from ui.core import runs

    default = runs.max_trainings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--settings", nargs="+", default=["0", "1", "4@4:0", "4@4", "4"], help="SESSIONS[@LIMIT][:NICENESS]"
    )
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="wgan_gp", help="what each session trains (default: the Train page's)")
    parser.add_argument("--dataset", default="penguins", help="a bundled data set, e.g. mnist")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; default limit {default} training(s) at once; target: under {TARGET_SECONDS} s")
    print(f"each session trains {args.model} on {args.dataset}")
    results = []
    for setting in args.settings:
        counts, _, nice = setting.partition(":")
        sessions, _, limit = counts.partition("@")
        niceness = int(nice) if nice else runs.TRAINING_NICENESS
        limit = int(limit) if limit else default
        result = measure(int(sessions), limit, niceness, args.pages, args.repeats, (args.model, args.dataset))
        results.append(result)
        print(
            f"\n{sessions} session(s) training, limit {result['limit']}, niceness {niceness}: {result['training']} "
            f"training and {result['waiting']} waiting at the end, watchers' fragment reruns "
            f"{result['watcher_reruns_per_s']}/s, load average {result['load_average']}"
        )
        for page, kinds in result["pages"].items():
            line = "  ".join(f"{kind} {f['median_s']:.2f} s (worst {f['worst_s']:.2f})" for kind, f in kinds.items())
            print(f"  {page:8s} {line}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
