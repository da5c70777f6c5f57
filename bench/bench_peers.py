"""Ours beside the best free peers, on every bundled table, in one run.

    python -m bench.bench_peers                         # every table: our table models and every peer
    python -m bench.bench_peers --no-peers --tables penguins
    python -m bench.bench_peers --peers arfpy,gaussian_copula --rows 1000 --out peers.json
    python -m bench.bench_peers --sdmetrics-check       # also our quality score beside SDMetrics' QualityReport

Each table is split 80/20 (seeded); every method trains on the 80 % in its own process, back to back, and
samples as many rows as it trained on. Ours are every registry model that works on tables, at their defaults
(`gen_models.create(name, seed=0).fit(train)`, `.sample(n, seed=1)`; a model that needs a condition column gets
the first categorical one). The peers are mostlyai-engine's TabularARGN, arfpy, and SDV's GaussianCopula and TVAE.

The peers are benchmark-only: each lives in a venv of its own under ~/.cache/latent-lab-peers/ (--venv-dir), made
on first use: torch's CPU build first (a bare `pip install torch` pulls a multi-GB CUDA build), then for "engine"
(TabularARGN, arfpy) `pip install --no-deps -r <repo>/../shared/bench/peers-requirements.txt`, and for "sdv"
(which caps pandas below 3) `pip install "pandas<3" sdv sdmetrics pyarrow` (pyarrow to read the Parquet tables).
A peer that fails to install or run is reported in one line and the run goes on.

Every score is computed here, by our library, on the rows each method returned: quality (SDMetrics' definitions,
with column shapes / pair trends), detection AUC (boosting, 5-fold), ML efficacy on the hold-out (train on
synthetic, test on real, against the real-trained score), the distance-to-closest-record ratio against the hold-out
(median DCR of synthetic rows / of hold-out rows; near 1 is healthy, well below 1 is copying) and the share of exact
copies of training rows (beside the hold-out's own share), fit and sample seconds, and fit time as a multiple of our
best model's (by quality). Timings are wall-clock on whatever else the machine is doing.

--sdmetrics-check scores, per table, every method's rows and a copy of the training table with each column shuffled
on its own with both our quality_score and SDMetrics' own QualityReport (run in the sdv venv), and lists every score
that differs by more than 0.005. The Gaussian copula is run for it even when the peers are not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import gen_models
from gen_models.data import infer_schema
from gen_models.evaluation import detection_auc, privacy, quality_score, utility

REPO = Path(__file__).resolve().parents[1]
PEERS_REQUIREMENTS = REPO.parent / "shared" / "bench" / "peers-requirements.txt"
DEFAULT_VENV_DIR = Path.home() / ".cache" / "latent-lab-peers"

TABLES = ("penguins", "weather", "gpa", "cars")
# The column each table's ML-efficacy model predicts from the others.
TARGETS = {"penguins": "species", "weather": "weather", "gpa": "gpa", "cars": "Miles_per_Gallon"}
TRAIN_SHARE = 0.8
SPLIT_SEED = 0
FIT_SEED, SAMPLE_SEED = 0, 1  # every method's: ours take them as arguments, the peers as their random_state or
# through the global generators they draw from
# Our scores differ from SDMetrics' when they differ by more than this.
SDMETRICS_TOLERANCE = 0.005
# A method still running after this long is stopped and reported as failed.
METHOD_TIMEOUT_S = 3 * 3600

# Threads per method unless --threads says otherwise. One, because on a shared machine a torch process with more
# threads than it has free cores spends its time waiting for the slowest one (a 10-second fit took minutes).
DEFAULT_THREADS = 1
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# A failed method's row shows at most this much of its error (the JSON has all of it).
ERROR_CELL_CHARS = 160

# Peer name -> the venv it runs in.
PEERS = {"tabular_argn": "engine", "arfpy": "engine", "gaussian_copula": "sdv", "tvae": "sdv"}
TORCH_CPU = ["torch==2.13.0"]  # pinned and first: its CPU build, not the multi-GB CUDA one a bare torch pulls


def venv_steps(venv: str) -> list[list[str]]:
    """The pip arguments that install one peer venv, in order."""
    if venv == "engine":
        if not PEERS_REQUIREMENTS.is_file():
            raise FileNotFoundError(
                f"the engine peers' pinned list {PEERS_REQUIREMENTS} is missing (it comes with shared/bench/)"
            )
        return [TORCH_CPU, ["--no-deps", "-r", str(PEERS_REQUIREMENTS)]]
    if venv == "sdv":
        return [TORCH_CPU, ["pandas<3", "sdv", "sdmetrics", "pyarrow"]]
    raise ValueError(f"unknown venv {venv!r}")


def venv_recipe(venv: str) -> dict:
    """What makes a venv: its pip steps and the contents of the requirement files they name."""
    steps = venv_steps(venv)
    files = [Path(step[step.index("-r") + 1]) for step in steps if "-r" in step]
    return {"steps": steps, "files": {str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}}


def ensure_venv(venv: str, venv_dir: Path) -> Path:
    """The python of peer venv `venv`, made on first use; raises RuntimeError (naming the log) when pip fails.

    A venv counts as made only when its marker holds the recipe that made it, so one cut off half-way, or made
    from another list, is made again from scratch.
    """
    recipe = venv_recipe(venv)
    steps = recipe["steps"]
    home = venv_dir / venv
    python = home / "bin" / "python"
    marker = home / "latent-lab-recipe.json"
    if marker.is_file() and python.is_file() and json.loads(marker.read_text()) == recipe:
        return python
    if home.exists():
        shutil.rmtree(home)
    venv_dir.mkdir(parents=True, exist_ok=True)
    log = venv_dir / f"{venv}-install.log"
    print(f"making the {venv} venv in {home} (once; pip's output in {log}) ...", file=sys.stderr, flush=True)
    with log.open("w") as out:
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True, stdout=out, stderr=subprocess.STDOUT)
        for step in steps:
            command = [str(python), "-m", "pip", "install", *step]
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                raise RuntimeError(f"pip install {' '.join(step)} failed (see {log})")
    marker.write_text(json.dumps(recipe))
    return python


# ----- the tables ------------------------------------------------------------------------------------------


@dataclass
class Table:
    """One bundled table, split for the benchmark; `kinds` are our schema's, for every score."""

    name: str
    train: pd.DataFrame
    holdout: pd.DataFrame
    kinds: dict[str, str]
    target: str
    dropped: list[str] = field(default_factory=list)  # columns no method sees (free text, row numbers)


def load_table(name: str, max_rows: int | None) -> Table:
    """The bundled table, capped at `max_rows` (a seeded sample), split 80/20 (seeded).

    Columns our schema would ignore (cars' 311 distinct names) are dropped for every method, so all of them learn
    and are judged on the same columns; the kinds are inferred from the training part, as our models infer them.
    """
    data = gen_models.load_dataset(name)
    rng = np.random.default_rng(SPLIT_SEED)
    if max_rows is not None and len(data) > max_rows:
        data = data.iloc[np.sort(rng.choice(len(data), size=max_rows, replace=False))]
    order = rng.permutation(len(data))
    cut = round(TRAIN_SHARE * len(data))
    train, holdout = data.iloc[np.sort(order[:cut])], data.iloc[np.sort(order[cut:])]
    schema = infer_schema(train, ignore_unusable=True)
    used = schema.used_columns
    dropped = [column for column in data.columns if column not in used]
    kinds = {spec.name: spec.kind for spec in schema.columns if spec.kind != "ignore"}
    return Table(
        name, train[used].reset_index(drop=True), holdout[used].reset_index(drop=True), kinds, TARGETS[name], dropped
    )


def shuffled_columns(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A copy of `frame` with each column shuffled on its own: every shape kept, every relation between columns gone."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({column: frame[column].to_numpy()[rng.permutation(len(frame))] for column in frame.columns})


# ----- the methods -----------------------------------------------------------------------------------------


def our_table_models() -> list[str]:
    """Every registry model that trains on tables (new ones, such as `autoregressive`, are picked up as they land)."""
    return [name for name, cls in gen_models.REGISTRY.items() if "table" in cls.data_kinds]


def condition_for(method: str, table: Table) -> str | None:
    """The condition column for one of ours that must have one: the table's first categorical column."""
    if not method.startswith("ours:") or not gen_models.REGISTRY[method.removeprefix("ours:")].needs_condition:
        return None
    return next((column for column, kind in table.kinds.items() if kind == "categorical"), None)


class JobFailed(Exception):
    """A job's process failed; the message is one line saying how."""


def run_job(python: Path, job: dict, threads: int) -> dict:
    """Run one job in `python`'s venv, in its own process, and return its result; JobFailed if it fails.

    `threads` caps the process's OpenMP/BLAS threads (torch takes its thread count from OMP_NUM_THREADS), the same
    for every method so their times compare.
    """
    job_path = Path(job["result"]).with_suffix(".job.json")
    job_path.write_text(json.dumps(job))
    command = [str(python), "-m", "bench.peer_runner", str(job_path)]
    env = os.environ | dict.fromkeys(THREAD_VARIABLES, str(threads))
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=METHOD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise JobFailed(f"still running after {METHOD_TIMEOUT_S} s") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise JobFailed(lines[-1] if lines else f"exit status {done.returncode}")
    return json.loads(Path(job["result"]).read_text())


def fit_and_sample(method: str, python: Path, table: Table, workdir: Path, threads: int) -> tuple[pd.DataFrame, dict]:
    """Train `method` on the table's training part in its own process: (its rows, its timings); JobFailed if not."""
    slug = method.replace(":", "-")
    job = {
        "method": method,
        "train": str(workdir / "train.parquet"),
        "rows": len(table.train),
        "kinds": table.kinds,
        "condition": condition_for(method, table),
        "fit_seed": FIT_SEED,
        "sample_seed": SAMPLE_SEED,
        "workdir": str(workdir / slug),
        "samples": str(workdir / f"{slug}.parquet"),
        "result": str(workdir / f"{slug}.json"),
    }
    (workdir / slug).mkdir(exist_ok=True)
    started = time.perf_counter()
    result = run_job(python, job, threads)
    result["process_s"] = time.perf_counter() - started
    result["condition"] = job["condition"]
    return pd.read_parquet(job["samples"]), result


# ----- the scores ------------------------------------------------------------------------------------------


def score(table: Table, rows: pd.DataFrame) -> dict:
    """Every score of one method's rows, by our library: against the training part, the hold-out where it says so."""
    train, holdout, kinds = table.train, table.holdout, table.kinds
    quality = quality_score(train, rows, kinds)
    closeness = privacy(train, rows, kinds, seed=0, real_holdout=holdout)
    return {
        "quality": quality["quality"],
        "column_shapes": quality["column_shapes"],
        "pair_trends": quality["pair_trends"],
        "columns": quality["columns"],
        "detection_auc": detection_auc(train, rows, kinds, seed=0, classifier="boosting"),
        "ml_efficacy": utility(train, rows, table.target, kinds, seed=0, real_test=holdout),
        **closeness,
        "dcr_ratio": closeness["dcr_synthetic_median"] / closeness["dcr_holdout_median"]
        if closeness["dcr_holdout_median"] > 0
        else None,
    }


def holdout_copy_share(table: Table) -> float:
    """Share of hold-out rows equal to some training row: the copy rate of data the models never saw."""
    return privacy(table.train, table.holdout, table.kinds, seed=0, real_holdout=table.holdout)["exact_copies"]


def best_ours(results: dict[str, dict]) -> str | None:
    """Our model with the highest quality on this table (the one the peers' times are measured against)."""
    scored = [name for name, result in results.items() if name.startswith("ours:") and "quality" in result]
    return max(scored, key=lambda name: results[name]["quality"], default=None)


# ----- printing --------------------------------------------------------------------------------------------


def number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def signed(value: float | None) -> str:
    """A difference to 4 decimals, with 0 for one that rounds to nothing (not "-0.0000")."""
    if value is None:
        return "n/a"
    return "0" if abs(value) < 5e-5 else f"{value:+.4f}"


def quality_cell(scores: dict) -> str:
    return f"{number(scores['quality'])} ({number(scores['column_shapes'])} / {number(scores['pair_trends'])})"


def method_label(method: str, best: str | None) -> str:
    if not method.startswith("ours:"):
        return method
    return f"{method.removeprefix('ours:')} (ours{', best' if method == best else ''})"


def print_table(table: Table, results: dict[str, dict], holdout_copies: float, best: str | None) -> None:
    """One Markdown table of every method that ran on `table`."""
    efficacy = next((r["ml_efficacy"] for r in results.values() if "ml_efficacy" in r), None)
    real_trained = f", trained on real rows {number(efficacy['train_real'])}" if efficacy else ""
    metric = f"{efficacy['metric']}" if efficacy else "score"
    print(
        f"\n### {table.name}: {len(table.train)} training rows, {len(table.holdout)} hold-out rows, "
        f"{len(table.kinds)} columns; ML efficacy predicts {table.target} ({metric}{real_trained}); "
        f"hold-out rows that copy a training row: {holdout_copies:.1%}"
        + (f"; dropped for every method: {', '.join(table.dropped)}" if table.dropped else "")
        + "\n"
    )
    print(
        "| method | quality (shapes / trends) | detection AUC | ML efficacy (ratio) | DCR ratio | copies | fit s "
        "| sample s | fit time ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for method, result in results.items():
        name = method_label(method, best)
        if "quality" not in result:
            error = result.get("error", "no rows").replace("|", "/")[:ERROR_CELL_CHARS]  # a | would end the cell
            print(f"| {name} | failed: {error} | | | | | | | |")
            continue
        ml = result["ml_efficacy"]
        ratio = "n/a" if ml["ratio"] is None else f"{ml['ratio']:.2f}"
        fit_ratio = f"{result['fit_time_ratio']:.2f}x" if "fit_time_ratio" in result else "n/a"
        print(
            f"| {name} | {quality_cell(result)} | {number(result['detection_auc'])} "
            f"| {number(ml['train_synthetic'])} ({ratio}) | {number(result['dcr_ratio'], 2)} "
            f"| {result['exact_copies']:.1%} | {result['fit_s']:.1f} | {result['sample_s']:.2f} | {fit_ratio} |"
        )
    sys.stdout.flush()


# ----- the yardstick check: our quality score beside SDMetrics' own -----------------------------------------


def sdmetrics_check(
    table: Table, samples: dict[str, pd.DataFrame], sdv_python: Path | None, workdir: Path
) -> dict[str, dict] | None:
    """Our quality_score and SDMetrics' QualityReport of each row set, with their differences; None if SDV is absent.

    The row sets are every method's rows plus the training table with its columns shuffled one by one, which keeps
    every column shape and loses every pair trend (SDMetrics' thresholds decide how much that costs).
    """
    row_sets = {**samples, "shuffled real": shuffled_columns(table.train, seed=SPLIT_SEED)}
    if sdv_python is None:
        print(f"{table.name}: SDMetrics check not run: the sdv venv is not available", file=sys.stderr)
        return None
    paths = {}
    for index, (name, rows) in enumerate(row_sets.items()):
        paths[name] = str(workdir / f"check-{index}.parquet")
        with_training_dtypes(rows, table.train).to_parquet(paths[name])
    job = {
        "method": "sdmetrics_quality",
        "real": str(workdir / "train.parquet"),
        "synthetic": paths,
        "kinds": table.kinds,
        "result": str(workdir / "sdmetrics.json"),
    }
    try:
        theirs = run_job(sdv_python, job, DEFAULT_THREADS)
    except JobFailed as err:
        print(f"{table.name}: SDMetrics check failed: {err}", file=sys.stderr, flush=True)
        return None
    version = theirs.pop("versions")["sdmetrics"]
    check = {}
    for name, rows in row_sets.items():
        ours_ = quality_score(table.train, rows, table.kinds)
        entry = {"ours": {key: ours_[key] for key in ("quality", "column_shapes", "pair_trends", "columns")}}
        entry["sdmetrics"] = theirs[name]
        entry["sdmetrics_version"] = version
        entry["difference"] = {
            key: difference(ours_[key], theirs[name][key]) for key in ("quality", "column_shapes", "pair_trends")
        }
        entry["column_differences"] = {
            column: difference(score_, theirs[name]["columns"].get(column))
            for column, score_ in ours_["columns"].items()
        }
        their_pairs = {tuple(pair["columns"]): pair for pair in theirs[name]["pairs"]}
        entry["pair_differences"] = [
            {
                "columns": pair["columns"],
                "ours": pair["score"],
                "sdmetrics": their_pairs.get(tuple(pair["columns"]), {}).get("score"),
                "counted": [pair["counted"], their_pairs.get(tuple(pair["columns"]), {}).get("counted")],
            }
            for pair in ours_["pairs"]
        ]
        check[name] = entry
    return check


def with_training_dtypes(rows: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """`rows` cast, column by column where the values allow, to the training table's dtypes.

    For SDMetrics only: it counts pandas' two missing markers (NaN in object columns, <NA> in the nullable dtypes
    TabularARGN returns) as different categories, which lowered TabularARGN's pair trends on penguins by 0.003
    although the rows were the same; our score treats every missing cell alike.
    """
    rows = rows.copy()
    for column in train.columns:
        try:
            rows[column] = rows[column].astype(train[column].dtype)
        except (TypeError, ValueError):
            pass  # e.g. whole numbers with gaps, which an int64 column cannot hold: left as they are
    return rows


def difference(ours_: float | None, theirs: float | None) -> float | None:
    """ours - SDMetrics; None when neither has a score, inf when only one has (SDMetrics writes "none" as NaN)."""
    theirs = None if theirs is None or np.isnan(theirs) else theirs
    if ours_ is None and theirs is None:
        return None
    if ours_ is None or theirs is None:
        return float("inf")
    return ours_ - theirs


def pair_differs(pair: dict) -> bool:
    """A pair whose score, or whether it counts, is not the same in ours and SDMetrics'.

    SDMetrics does not score a pair below its thresholds (NaN), while ours scores every pair, so only the scores of
    pairs both count are compared.
    """
    if pair["counted"][0] != pair["counted"][1]:
        return True
    if not pair["counted"][0]:
        return False
    gap = difference(pair["ours"], pair["sdmetrics"])
    return gap is not None and abs(gap) > SDMETRICS_TOLERANCE


def check_differs(entry: dict) -> bool:
    return any(value is not None and abs(value) > SDMETRICS_TOLERANCE for value in entry["difference"].values())


def print_check(table: Table, check: dict[str, dict]) -> None:
    version = next(iter(check.values()))["sdmetrics_version"]
    print(f"\n#### {table.name}: our quality_score beside SDMetrics {version} QualityReport\n")
    print("| rows | ours: quality (shapes / trends) | SDMetrics: quality (shapes / trends) | difference (quality) |")
    print("|---|---|---|---|")
    for name, entry in check.items():
        print(
            f"| {name} | {quality_cell(entry['ours'])} | {quality_cell(entry['sdmetrics'])} "
            f"| {signed(entry['difference']['quality'])} |"
        )
    for name, entry in check.items():
        columns = ", ".join(
            f"{column} {value:+.4f}"
            for column, value in entry["column_differences"].items()
            if value is not None and abs(value) > SDMETRICS_TOLERANCE
        )
        pairs = ", ".join(
            f"{' & '.join(pair['columns'])} {number(pair['ours'], 4)} vs {number(pair['sdmetrics'], 4)}"
            + ("" if pair["counted"][0] == pair["counted"][1] else f" (counted: {pair['counted']})")
            for pair in entry["pair_differences"]
            if pair_differs(pair)
        )
        if not (check_differs(entry) or columns or pairs):
            continue
        properties = ", ".join(
            f"{key} {number(entry['ours'][key], 4)} vs {number(entry['sdmetrics'][key], 4)}"
            for key in ("quality", "column_shapes", "pair_trends")
        )
        verdict = f"DIFFERS by more than {SDMETRICS_TOLERANCE}" if check_differs(entry) else "within the tolerance"
        print(f"\n{table.name} / {name}: {verdict} (ours vs SDMetrics): {properties}")
        if columns:
            print(f"  column shapes that differ (ours - SDMetrics): {columns}")
        if pairs:
            print(f"  pair trends that differ (ours vs SDMetrics): {pairs}")
    sys.stdout.flush()


def print_check_summary(report: dict) -> None:
    differing = [
        f"{table} / {name}"
        for table, measured in report["tables"].items()
        for name, entry in (measured.get("sdmetrics_check") or {}).items()
        if check_differs(entry)
    ]
    verdict = "; ".join(differing) if differing else "none"
    print(f"\nSDMetrics check: row sets whose scores differ by more than {SDMETRICS_TOLERANCE}: {verdict}")


# ----- the run ---------------------------------------------------------------------------------------------


def peer_pythons(peers: list[str], venv_dir: Path) -> dict[str, Path]:
    """Peer -> its venv's python, making venvs as needed; a venv that cannot be made is reported once, then skipped."""
    pythons, broken = {}, {}
    for peer in peers:
        venv = PEERS[peer]
        if venv in broken:
            print(f"{peer}: not run: {broken[venv]}", file=sys.stderr, flush=True)
            continue
        try:
            pythons[peer] = ensure_venv(venv, venv_dir)
        except (OSError, RuntimeError, subprocess.CalledProcessError) as err:
            broken[venv] = f"the {venv} venv could not be made: {err}"
            print(f"{peer}: not run: {broken[venv]}", file=sys.stderr, flush=True)
    return pythons


def benchmark_table(
    table: Table, methods: dict[str, Path], sdv_python: Path | None, check: bool, workdir: Path, threads: int
) -> dict:
    """Every method on one table, back to back, scored and printed; everything as a JSON-ready dict."""
    table.train.to_parquet(workdir / "train.parquet")
    results: dict[str, dict] = {}
    samples: dict[str, pd.DataFrame] = {}
    for method, python in methods.items():
        print(f"{table.name} / {method}: training on {len(table.train)} rows ...", file=sys.stderr, flush=True)
        try:
            rows, timings = fit_and_sample(method, python, table, workdir, threads)
        except JobFailed as err:
            print(f"{table.name} / {method}: failed: {err}", file=sys.stderr, flush=True)
            results[method] = {"error": str(err)}
            continue
        try:
            results[method] = {**timings, **score(table, rows)}
        except ValueError as err:
            print(f"{table.name} / {method}: its rows cannot be scored: {err}", file=sys.stderr, flush=True)
            results[method] = {**timings, "error": f"rows cannot be scored: {err}"}
            continue
        samples[method] = rows
        print(
            f"{table.name} / {method}: fit {timings['fit_s']:.1f} s, quality {number(results[method]['quality'])}",
            file=sys.stderr,
            flush=True,
        )
    best = best_ours(results)
    holdout_copies = holdout_copy_share(table)
    for result in results.values():
        if best and "fit_s" in result:
            result["fit_time_ratio"] = result["fit_s"] / results[best]["fit_s"]
    print_table(table, results, holdout_copies, best)
    report = {
        "train_rows": len(table.train),
        "holdout_rows": len(table.holdout),
        "kinds": table.kinds,
        "dropped": table.dropped,
        "target": table.target,
        "holdout_exact_copies": holdout_copies,
        "best_ours": best,
        "methods": results,
    }
    if check:
        report["sdmetrics_check"] = sdmetrics_check(table, samples, sdv_python, workdir)
        if report["sdmetrics_check"]:
            print_check(table, report["sdmetrics_check"])
    return report


def names(text: str, known: list[str] | tuple[str, ...], what: str) -> list[str]:
    """A comma-separated choice, checked against what exists."""
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)}; choose from {', '.join(known)}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", default=",".join(TABLES), help="comma-separated (default: all)")
    parser.add_argument("--rows", type=int, help="cap each table at this many rows (a seeded sample) before the split")
    parser.add_argument("--ours", help="comma-separated subset of our table models (default: every one)")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of the peers (default: all)")
    parser.add_argument("--no-peers", action="store_true", help="ours only")
    parser.add_argument("--sdmetrics-check", action="store_true", help="our quality score beside SDMetrics' own")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="threads for each method's process")
    parser.add_argument("--out", type=Path, help="write everything measured to this JSON file")
    parser.add_argument("--venv-dir", type=Path, default=DEFAULT_VENV_DIR, help="where the peers' venvs live")
    args = parser.parse_args()

    tables = names(args.tables, TABLES, "tables")
    available = our_table_models()
    ours = names(args.ours, available, "models of ours") if args.ours else available
    peers = [] if args.no_peers else names(args.peers, list(PEERS), "peers")
    if args.sdmetrics_check and "gaussian_copula" not in peers:
        peers.append("gaussian_copula")  # the check's third row set, and its venv holds SDMetrics
    pythons = peer_pythons(peers, args.venv_dir)
    sdv_python = None
    if args.sdmetrics_check:
        sdv_python = pythons.get("gaussian_copula")
    methods = {f"ours:{name}": Path(sys.executable) for name in ours}
    methods.update(pythons)
    print(f"methods: {', '.join(methods)}; tables: {', '.join(tables)}", file=sys.stderr, flush=True)

    settings = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    report = {"settings": settings | {"methods": list(methods), "tables": tables}, "tables": {}}
    started = time.perf_counter()
    for name in tables:
        with tempfile.TemporaryDirectory(prefix=f"bench-peers-{name}-") as workdir:
            table = load_table(name, args.rows)
            report["tables"][name] = benchmark_table(
                table, methods, sdv_python, args.sdmetrics_check, Path(workdir), args.threads
            )
        if args.out:  # after every table, so a long run cut short keeps what it measured
            args.out.write_text(json.dumps(report, indent=2, default=float))
    report["total_s"] = time.perf_counter() - started
    if args.sdmetrics_check:
        print_check_summary(report)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, default=float))
        print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
