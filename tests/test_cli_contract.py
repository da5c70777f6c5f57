"""The command line keeps its contract on bad input: one plain line on stderr and exit status 2, never a traceback.

A corpus of the cases a careless or malicious user tried (issue #15); each fails fast, before any training.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import gen_models
from gen_models.cli import main

ROOT = Path(__file__).resolve().parents[1]
VAE = str(ROOT / "pretrained" / "vae_penguins")
TRAIN = ["train", "--data", "penguins", "--model", "vae", "--out"]


def train_with(tmp: Path, *extra: str) -> list[str]:
    return [*TRAIN, str(tmp / "model"), *extra]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "lr=-1"], "lr must be a finite number greater than 0"),
        (["--set", "lr=nan"], "lr must be a finite number"),
        (["--set", "latent_dim=-3"], "latent_dim must be a whole number of at least 1, not -3"),
        (["--set", "latent_dim=0"], "latent_dim must be a whole number of at least 1"),
        (["--set", "decoder_hidden=1000000000"], "16,384"),
        (["--set", "decoder_hidden=0"], "decoder_hidden must be a list of layer sizes"),
        (["--set", "batch_size=0"], "batch_size must be a whole number of at least 1"),
        (["--set", "device=bogus"], "device must be"),
        (["--seed", str(2**70)], "seed must be a whole number from 0"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(tmp_path, capsys, extra, message):
    assert main(train_with(tmp_path, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
    assert not (tmp_path / "model" / "model.json").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_gpu_that_is_not_there_is_named(tmp_path, capsys):
    assert main(train_with(tmp_path, "--set", "device=cuda")) == 2
    assert "needs a GPU" in capsys.readouterr().err


def test_out_is_checked_before_training(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main([*TRAIN, str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    blocked = tmp_path / "a_file" / "model"  # a folder inside a file cannot be made
    assert main([*TRAIN, str(blocked)]) == 2
    assert capsys.readouterr().err.startswith("error:")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--code", "z0=1e308"], "takes a number between"),
        (["--code", "z0=nan"], "takes a number between"),
        (["--seed", str(2**70)], "seed must be a whole number from 0"),
        (["--seed", "-1"], "seed must be a whole number of at least 0"),
    ],
)
def test_bad_sample_values_are_refused(tmp_path, capsys, extra, message):
    assert main(["sample", VAE, "--rows", "3", "--out", str(tmp_path / "rows.csv"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("header", "only a header"), ("one row", "at least 2 rows"), ("empty", "empty")],
)
def test_evaluate_with_an_unusable_synthetic_file(tmp_path, capsys, content, message):
    path = tmp_path / "synthetic.csv"
    real = gen_models.load_dataset("penguins")
    if content == "empty":
        path.write_text("")
    else:
        real.head(0 if content == "header" else 1).to_csv(path, index=False)
    assert main(["evaluate", "--real", "penguins", "--synthetic", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err
