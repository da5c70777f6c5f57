"""The command line end to end, as a user would run it, on a small CSV."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # importable from any working directory
    return subprocess.run(
        [sys.executable, "-m", "gen_models", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory, mixed_table):
    path = tmp_path_factory.mktemp("cli") / "table.csv"
    mixed_table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained_dir(csv_file):
    out = csv_file.parent / "model"
    done = cli(
        "train",
        "--data",
        str(csv_file),
        "--model",
        "cgan",
        "--condition",
        "species",
        "--out",
        str(out),
        "--epochs",
        "3",
        "--batch-size",
        "40",
        "--seed",
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 3/3" in done.stderr and "elapsed" in done.stderr and "remaining" in done.stderr
    return out


def test_list_and_datasets():
    done = cli("list", "--json")
    assert done.returncode == 0
    names = [m["name"] for m in json.loads(done.stdout)]
    assert {"gan", "cgan", "wgan_gp", "vae"} <= set(names)
    done = cli("datasets", "--json")
    assert done.returncode == 0
    assert "penguins" in [d["name"] for d in json.loads(done.stdout)]


def test_info_json_contract(trained_dir, mixed_table):
    done = cli("info", str(trained_dir), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["model"] == "cgan"
    assert info["columns"] == list(mixed_table.columns)
    assert info["condition"] == {"column": "species", "values": ["Adelie", "Chinstrap", "Gentoo"]}
    for code in info["codes"]:
        assert code["kind"] in {"continuous", "categorical"}
        assert ("levels" in code) if code["kind"] == "categorical" else ({"low", "high"} <= set(code))
    assert cli("info", str(trained_dir)).returncode == 0


def test_sample_writes_exact_columns_and_rows(trained_dir, tmp_path, mixed_table):
    out = tmp_path / "rows.csv"
    done = cli(
        "sample",
        str(trained_dir),
        "--rows",
        "123",
        "--out",
        str(out),
        "--seed",
        "4",
        "--code",
        "z0=1.5",
        "--condition",
        "Chinstrap",
    )
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(out)
    assert list(rows.columns) == list(mixed_table.columns) and len(rows) == 123
    assert (rows["species"] == "Chinstrap").all()
    again = tmp_path / "again.csv"
    cli(
        "sample",
        str(trained_dir),
        "--rows",
        "123",
        "--out",
        str(again),
        "--seed",
        "4",
        "--code",
        "z0=1.5",
        "--condition",
        "Chinstrap",
    )
    assert out.read_text() == again.read_text()


def test_train_on_a_bundled_dataset(tmp_path):
    done = cli("train", "--data", "penguins", "--model", "vae", "--out", str(tmp_path / "v"), "--epochs", "1")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "v" / "model.json").is_file()
    # The data's origin is recorded, so `design` (and the app) can find the training data again.
    assert json.loads((tmp_path / "v" / "model.json").read_text())["extra"] == {"dataset": "penguins"}


def test_train_takes_model_settings(tmp_path):
    done = cli(
        "train", "--data", "penguins", "--model", "vae", "--out", str(tmp_path / "v"), "--epochs", "1",
        "--set", "latent_dim=3", "--set", "encoder_hidden=16,8", "--set", "beta=0.5",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "v" / "model.json").read_text())["config"]
    assert (config["latent_dim"], config["encoder_hidden"], config["beta"]) == (3, [16, 8], 0.5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "missing.csv", "--model", "gan", "--out", "x"], "no file"),
        (["train", "--data", "penguins", "--model", "vae", "--out", "x", "--set", "depth=3"], "Its settings are"),
        (["train", "--data", "penguins", "--model", "vae", "--out", "x", "--set", "beta=big"], "takes float"),
        (["train", "--data", "penguins", "--model", "vae", "--out", "x", "--set", "beta"], "NAME=VALUE"),
        (["train", "--data", "penguins", "--model", "infogan", "--out", "x", "--set", "c1_tilt=-5"], "0 or more"),
        (["train", "--data", "no_such_set", "--model", "gan", "--out", "x"], "Bundled data sets"),
        (["train", "--data", "penguins", "--model", "nope", "--out", "x"], "no model called 'nope'"),
        (["train", "--data", "penguins", "--model", "cgan", "--out", "x"], "needs a condition column"),
        (["train", "--data", "penguins", "--model", "gan", "--out", "x", "--epochs", "0"], "at least 1"),
        (["info", "nowhere"], "not a model directory"),
        (["sample", "nowhere", "--rows", "3", "--out", "x.csv"], "not a model directory"),
        (["train", "--data", "penguins"], "required"),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(args, message, tmp_path):
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_csv_and_bad_code_are_clear(tmp_path, trained_dir):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = cli("train", "--data", str(empty), "--model", "gan", "--out", str(tmp_path / "m"))
    assert done.returncode == 2 and "empty" in done.stderr.lower() and "Traceback" not in done.stderr
    done = cli("sample", str(trained_dir), "--rows", "3", "--out", str(tmp_path / "x.csv"), "--code", "z0=abc")
    assert done.returncode == 2 and "takes a number" in done.stderr
    done = cli("sample", str(trained_dir), "--rows", "3", "--out", str(tmp_path / "x.csv"), "--code", "q9=1")
    assert done.returncode == 2 and "no code 'q9'" in done.stderr


def test_evaluate_json_shape(trained_dir, csv_file, tmp_path):
    synthetic = tmp_path / "syn.csv"
    assert cli("sample", str(trained_dir), "--rows", "160", "--out", str(synthetic), "--seed", "0").returncode == 0
    done = cli("evaluate", "--real", str(csv_file), "--synthetic", str(synthetic), "--target", "species", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for key in ("quality", "column_shapes", "pair_trends", "detection_auc", "utility", "privacy", "columns"):
        assert key in report
    assert 0 <= report["quality"] <= 1 and 0.5 <= report["detection_auc"] <= 1
    assert report["utility"]["target"] == "species"
    assert {"dcr_synthetic_median", "dcr_holdout_median", "exact_copies"} <= set(report["privacy"])
    same = cli("evaluate", "--real", str(csv_file), "--synthetic", str(csv_file), "--json")
    assert json.loads(same.stdout)["quality"] == pytest.approx(1.0)
    text = cli("evaluate", "--real", str(csv_file), "--synthetic", str(synthetic))
    assert text.returncode == 0 and "detection AUC" in text.stdout


def test_evaluate_refuses_mismatched_columns(csv_file, tmp_path):
    other = tmp_path / "other.csv"
    pd.DataFrame({"species": ["Adelie"] * 20, "x": range(20)}).to_csv(other, index=False)
    done = cli("evaluate", "--real", str(csv_file), "--synthetic", str(other))
    assert done.returncode == 2 and "lacks the real data's column" in done.stderr
