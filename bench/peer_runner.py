"""One benchmark job in its own process: fit a generator and write its rows, or score rows with SDMetrics.

    python -m bench.peer_runner JOB.json        # from the repository root, with the venv the job needs

`bench.bench_peers` writes the job and reads what it leaves. A fit job is
``{"method", "train": Parquet path, "rows": n, "kinds": {column: kind}, "condition": column or null, "fit_seed",
"sample_seed", "workdir", "samples": Parquet path to write, "result": JSON path to write}``; the result is
``{"fit_s", "sample_s", "versions"}``. The ``sdmetrics_quality`` job is ``{"method", "real", "synthetic": {name:
Parquet path}, "kinds", "result"}`` and its result ``{name: {"quality", "column_shapes", "pair_trends",
"columns": {column: score}, "pairs": [{"columns", "score", "counted"}]}}``.

This module imports only what its job needs: the peers' venvs do not have our library's dependencies, and ours
does not have the peers.
"""

from __future__ import annotations

import json
import random
import sys
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

# Our kinds -> SDMetrics' sdtypes (the yardstick check's metadata).
SDTYPES = {"continuous": "numerical", "integer": "numerical", "datetime": "datetime", "categorical": "categorical"}


def seed_globals(seed: int) -> None:
    """Seed the global generators some peers draw from (arfpy's forests, SDV's TVAE); ours and TabularARGN
    take their seed as an argument."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def versions(*packages: str) -> dict[str, str]:
    return {name: metadata.version(name) for name in packages}


# ----- the generators: (train, n, job) -> (fit, sample) ---------------------------------------------------
# Each returns a fit function and a sample function so that the caller times the two apart.


def ours(name: str) -> Callable:
    """One of our registry models at its defaults (a condition column only for one that needs it)."""

    def prepare(train: pd.DataFrame, n: int, job: dict) -> tuple[Callable, Callable]:
        import gen_models

        model = gen_models.create(name, seed=job["fit_seed"])

        def fit() -> None:
            model.fit(train, condition=job["condition"])

        def sample() -> pd.DataFrame:
            return model.sample(n, seed=job["sample_seed"])

        return fit, sample

    return prepare


def tabular_argn(train: pd.DataFrame, n: int, job: dict) -> tuple[Callable, Callable]:
    from mostlyai.engine import TabularARGN

    model = TabularARGN(device="cpu", workspace_dir=Path(job["workdir"]) / "argn", random_state=job["fit_seed"])
    return (lambda: model.fit(train)), (lambda: model.sample(n_samples=n))


def arfpy(train: pd.DataFrame, n: int, job: dict) -> tuple[Callable, Callable]:
    # arfpy 0.1.1 calls np.in1d, which numpy 2.4 removed; np.isin is its replacement with the same answer.
    np.in1d = np.isin
    from arfpy import arf

    # arfpy treats only `category`/`object` columns as categories, and has no dates: categories go in as `category`,
    # dates as nanoseconds, and both come back as the training table's dtypes. Its columns are named by position
    # because forge() looks its per-column flags up as series[j], which pandas 3 reads as a label, not a position.
    kinds = job["kinds"]
    frame = train.copy()
    for column, kind in kinds.items():
        if kind == "categorical":
            frame[column] = frame[column].astype("category")
        elif kind == "datetime":
            moments = frame[column].astype("datetime64[ns]")
            frame[column] = moments.astype("int64").astype(float).where(moments.notna())
    frame.columns = range(len(frame.columns))
    state: dict = {}

    def fit() -> None:
        state["forest"] = arf.arf(x=frame)
        state["forest"].forde()

    def sample() -> pd.DataFrame:
        try:
            rows = state["forest"].forge(n=n)
        except ValueError as err:
            gaps = [column for column, kind in kinds.items() if kind != "categorical" and train[column].isna().any()]
            if not gaps:
                raise
            # Its forests split rows with gaps, so a leaf can hold fewer than two values of a column: no spread for the
            # truncated normal it draws from (the same table without those rows samples).
            raise ValueError(
                f"arfpy {metadata.version('arfpy')} cannot sample numeric columns with gaps ({', '.join(gaps)}): "
                "a leaf with under two of a column's values has no spread to draw from"
            ) from err
        rows.columns = train.columns
        return restore_dtypes(rows, train, kinds)

    return fit, sample


def restore_dtypes(rows: pd.DataFrame, train: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """`rows` with the training table's column order and dtypes (whole numbers rounded, dates from nanoseconds)."""
    rows = rows[list(train.columns)].reset_index(drop=True)
    for column, kind in kinds.items():
        dtype = train[column].dtype
        if kind == "datetime":
            rows[column] = pd.to_datetime(pd.to_numeric(rows[column]).round(), unit="ns").astype(dtype)
        elif kind == "categorical":
            rows[column] = rows[column].astype(object).where(rows[column].notna(), None).astype(dtype)
        elif kind == "integer":
            values = pd.to_numeric(rows[column]).round()
            rows[column] = values.astype(dtype) if values.notna().all() else values
        else:
            rows[column] = pd.to_numeric(rows[column])
    return rows


def sdv(synthesizer: str) -> Callable:
    def prepare(train: pd.DataFrame, n: int, job: dict) -> tuple[Callable, Callable]:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer

        # RDT reads dates as nanoseconds whatever their unit, so microsecond dates (as pandas writes them to Parquet
        # now) came back in January 1970; nanoseconds are what pandas 2 makes from a CSV anyway.
        frame = train.copy()
        for column, kind in job["kinds"].items():
            if kind == "datetime":
                frame[column] = frame[column].astype("datetime64[ns]")
        # SDV 2 takes and returns {table name: DataFrame} even for one table; SDV 1's detect_from_dataframe is gone.
        tables = {"table": frame}
        cls = {"gaussian_copula": GaussianCopulaSynthesizer, "tvae": TVAESynthesizer}[synthesizer]
        model = cls(Metadata.detect_from_dataframes(tables))
        return (lambda: model.fit(tables)), (lambda: model.sample(num_rows=n)["table"])

    return prepare


GENERATORS: dict[str, Callable] = {
    "tabular_argn": tabular_argn,
    "arfpy": arfpy,
    "gaussian_copula": sdv("gaussian_copula"),
    "tvae": sdv("tvae"),
}
VERSIONS = {
    "tabular_argn": ("mostlyai-engine", "torch", "pandas"),
    "arfpy": ("arfpy", "scikit-learn", "pandas"),
    "gaussian_copula": ("sdv", "pandas"),
    "tvae": ("sdv", "torch", "pandas"),
}


def run_fit(job: dict) -> dict:
    """Fit on the job's training table, sample its row count, write the rows; seconds for each step."""
    method = job["method"]
    train = pd.read_parquet(job["train"])
    if method.startswith("ours:"):
        prepare, packages = ours(method.removeprefix("ours:")), ("torch", "pandas")
    else:
        prepare, packages = GENERATORS[method], VERSIONS[method]
    fit, sample = prepare(train, job["rows"], job)
    seed_globals(job["fit_seed"])
    started = time.perf_counter()
    fit()
    fit_s = time.perf_counter() - started
    seed_globals(job["sample_seed"])
    started = time.perf_counter()
    rows = sample()
    sample_s = time.perf_counter() - started
    rows.reset_index(drop=True).to_parquet(job["samples"])
    return {"fit_s": fit_s, "sample_s": sample_s, "versions": versions(*packages)}


def run_sdmetrics_quality(job: dict) -> dict:
    """SDMetrics' own QualityReport of each synthetic table against the real one, metadata from our kinds."""
    warnings.filterwarnings("ignore", category=FutureWarning)  # single_table.QualityReport is deprecated in 0.32
    from sdmetrics.reports.single_table import QualityReport

    real = pd.read_parquet(job["real"])
    table_metadata = {"columns": {column: {"sdtype": SDTYPES[kind]} for column, kind in job["kinds"].items()}}
    scores = {}
    for name, path in job["synthetic"].items():
        report = QualityReport()
        report.generate(real, pd.read_parquet(path)[list(real.columns)], table_metadata, verbose=False)
        properties = report.get_properties().set_index("Property")["Score"]
        shapes = report.get_details("Column Shapes").set_index("Column")["Score"]
        trends = report.get_details("Column Pair Trends")
        scores[name] = {
            "quality": float(report.get_score()),
            "column_shapes": float(properties["Column Shapes"]),
            "pair_trends": float(properties["Column Pair Trends"]),
            "columns": {column: float(score) for column, score in shapes.items()},
            "pairs": [
                {
                    "columns": [pair["Column 1"], pair["Column 2"]],
                    "score": float(pair["Score"]),
                    "counted": bool(pair.get("Meets Threshold?", True)),
                }
                for _, pair in trends.iterrows()
            ],
        }
    scores["versions"] = versions("sdmetrics", "pandas")
    return scores


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    result = run_sdmetrics_quality(job) if job["method"] == "sdmetrics_quality" else run_fit(job)
    Path(job["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
