"""Training one model with torchrun (gen_models/training/distributed.py): 2 CPU processes over gloo.

The end-to-end test starts `torchrun --standalone --nproc_per_node=2 -m gen_models train` on a tiny table
and compares it with one process trained with the same seed and the same total batch (2 x 32 = 64 rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gen_models
from gen_models.errors import ModelError
from gen_models.evaluation import quality_score
from gen_models.training import distributed

TORCHRUN = Path(sys.executable).with_name("torchrun")
ROWS = 600


def tiny_table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS)
    return pd.DataFrame(
        {
            "x": x.round(3),
            "y": (2 * x + rng.normal(scale=0.5, size=ROWS)).round(3),
            "kind": rng.choice(["a", "b", "c"], size=ROWS, p=[0.6, 0.3, 0.1]),
        }
    )


def train(command: list[str], data: Path, out: Path, batch: int) -> subprocess.CompletedProcess:
    args = ["-m", "gen_models", "train", "--data", str(data), "--model", "vae", "--out", str(out)]
    args += ["--epochs", "8", "--batch-size", str(batch), "--seed", "3"]
    env = {**os.environ, "LATENT_LAB_THREADS": "1", "LATENT_LAB_DIST_TIMEOUT": "60"}
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=180)


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_two_processes_train_one_model_like_one_process(tmp_path: Path) -> None:
    real = tiny_table()
    data = tmp_path / "tiny.csv"
    real.to_csv(data, index=False)
    together = train([str(TORCHRUN), "--standalone", "--nproc_per_node=2"], data, tmp_path / "two", batch=32)
    assert together.returncode == 0, together.stderr[-2000:]
    assert together.stderr.count("Saved to") == 1  # rank 0 alone reports and writes
    assert "2 processes, each on its 1/2 of the rows" in together.stderr
    alone = train([sys.executable], data, tmp_path / "one", batch=64)
    assert alone.returncode == 0, alone.stderr[-2000:]

    two, one = gen_models.load(tmp_path / "two"), gen_models.load(tmp_path / "one")
    # Each process took ROWS / 2 / 32 steps per epoch, as the single one took ROWS / 64: the same step count.
    assert len(two.history) == len(one.history) == 8 * (ROWS // 64)
    assert two.condition_column is None and list(two.encoder.columns) == list(real.columns)
    rows = two.sample(2000, seed=0)
    assert list(rows.columns) == list(real.columns) and len(rows) == 2000
    score_two = quality_score(real, rows)["quality"]
    score_one = quality_score(real, one.sample(2000, seed=0))["quality"]
    assert score_two > 0.6 and abs(score_two - score_one) < 0.1, (score_two, score_one)
    # The losses each step reported are the mean over both processes: close to the single process's.
    last_two, last_one = two.history[-1]["loss"], one.history[-1]["loss"]
    assert abs(last_two - last_one) < 0.5 * abs(last_one) + 0.5, (last_two, last_one)


def test_torchrun_environment_is_read() -> None:
    env = {"RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert distributed.from_environment(env) == distributed.Ranks(1, 4, 1, 2)
    assert distributed.from_environment({}) is None  # not started by torchrun
    with pytest.raises(ModelError, match="RANK must be between"):
        distributed.from_environment({**env, "RANK": "4"})
    with pytest.raises(ModelError, match="whole numbers"):
        distributed.from_environment({**env, "RANK": "one"})
    with pytest.raises(ModelError, match="seconds"):
        distributed.timeout_seconds({distributed.TIMEOUT_VARIABLE: "soon"})
    assert distributed.timeout_seconds({}) == distributed.DEFAULT_TIMEOUT_SECONDS


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_a_failing_process_ends_the_run_with_a_plain_line(tmp_path: Path) -> None:
    data = tmp_path / "tiny.csv"
    tiny_table().to_csv(data, index=False)
    (tmp_path / "file").write_text("not a directory")
    done = train([str(TORCHRUN), "--standalone", "--nproc_per_node=2"], data, tmp_path / "file" / "model", batch=32)
    assert done.returncode != 0
    # Rank 0 refuses the --out path in one line; rank 1, waiting for its encoder, is ended too (by torchrun, or by
    # its own "another process ended" line, whichever comes first), well before the 60 s timeout.
    assert "error: Not a directory" in done.stderr
    assert not (tmp_path / "file" / "model").exists()
