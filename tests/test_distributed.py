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


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_each_rank_reads_only_its_own_disjoint_shard(tmp_path: Path, suffix: str) -> None:
    """Two ranks reading one file get disjoint, equal shards (rows 0, 2, 4 ... and 1, 3, 5 ...) that together are
    every usable row (601 rows: the last is left out), each holding half the table, as a whole read would give."""
    from gen_models.data.reading import SHARD_ATTR, read_table, read_table_shard

    real = tiny_table()
    real = pd.concat([real, real.iloc[[0]]], ignore_index=True)  # 601 rows: one left out of 2 equal shards
    real["row"] = np.arange(len(real))
    real.loc[5, "kind"] = 'with "quotes", a comma\nand a new line'  # a quoted cell across lines (CSV)
    path = tmp_path / f"table{suffix}"
    if suffix == ".parquet":
        real.to_parquet(path, index=False)
    else:
        real.to_csv(path, index=False)
    whole = read_table(path).frame
    shards = [read_table_shard(path, rank, 2) for rank in (0, 1)]
    for rank, shard in enumerate(shards):
        assert shard.shard is not None and shard.shard.file_rows == len(real) and shard.shard.rows == 300
        assert len(shard.frame) == 300 < len(real)  # a rank holds its half, not the table
        assert shard.frame["row"].tolist() == list(range(rank, 600, 2))
        assert shard.frame.attrs[SHARD_ATTR] == {"rank": rank, "world_size": 2, "rows": 300}
        expected = whole.iloc[rank:600:2].reset_index(drop=True)
        pd.testing.assert_frame_equal(shard.frame.reset_index(drop=True), expected, check_exact=True)
    rows = set(shards[0].frame["row"]) | set(shards[1].frame["row"])
    assert not set(shards[0].frame["row"]) & set(shards[1].frame["row"]) and rows == set(range(600))


def test_a_bad_line_is_named_when_reading_a_shard(tmp_path: Path) -> None:
    from gen_models.data import DataError
    from gen_models.data.reading import read_table_shard

    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4\n5\n6,7\n")
    with pytest.raises(DataError, match="Line 4 has 1 cells but the header has 2 columns"):
        read_table_shard(path, 1, 2)


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside this Python")
def test_levels_and_empty_cells_only_another_rank_holds_reach_the_encoder(tmp_path: Path) -> None:
    """Rank 0 fits the encoder on its shard; a level and an empty cell that lie only in rank 1's rows still train."""
    real = tiny_table()
    real.loc[1, "kind"] = "rare"  # row 1: rank 1's shard
    real["y"] = real["y"].astype(float)
    real.loc[3, "y"] = np.nan
    data = tmp_path / "tiny.parquet"
    real.to_parquet(data, index=False)
    args = ["-m", "gen_models", "train", "--data", str(data), "--model", "wgan_gp", "--out", str(tmp_path / "m")]
    args += ["--epochs", "1", "--batch-size", "50", "--seed", "3"]
    env = {**os.environ, "LATENT_LAB_THREADS": "1", "LATENT_LAB_DIST_TIMEOUT": "60"}
    command = [str(TORCHRUN), "--standalone", "--nproc_per_node=2", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"on {ROWS} rows" in done.stderr and f"({ROWS // 2} each, read by that process alone)" in done.stderr
    model = gen_models.load(tmp_path / "m")
    assert "rare" in model.encoder.levels("kind")
    assert len(model.history) == ROWS // 2 // 50  # each rank: its 300 rows, not the 300 plus rank 0's extra rows
