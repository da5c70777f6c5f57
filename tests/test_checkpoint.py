"""Model directories: safetensors + JSON, and clear errors for anything damaged or foreign."""

from __future__ import annotations

import json

import pytest

import gen_models
from gen_models.checkpoint import META_FILE, WEIGHTS_FILE
from gen_models.errors import CheckpointError


@pytest.fixture(scope="module")
def saved(tmp_path_factory, mixed_table):
    model = gen_models.create("gan", epochs=1, batch_size=40, seed=0)
    model.fit(mixed_table)
    return model.save(tmp_path_factory.mktemp("ckpt") / "gan")


def copy_dir(src, dst):
    dst.mkdir()
    for name in (META_FILE, WEIGHTS_FILE):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_directory_holds_safetensors_and_json(saved):
    assert sorted(p.name for p in saved.iterdir()) == sorted([META_FILE, WEIGHTS_FILE])
    meta = json.loads((saved / META_FILE).read_text())
    for key in ("model", "config", "schema", "encoder", "codes", "history", "versions", "weights_sha256"):
        assert key in meta
    assert meta["versions"]["torch"].startswith("2.")


def test_truncated_weights_are_refused(saved, tmp_path):
    broken = copy_dir(saved, tmp_path / "t")
    data = (broken / WEIGHTS_FILE).read_bytes()
    (broken / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or was changed"):
        gen_models.load(broken)


def test_tampered_weights_are_refused(saved, tmp_path):
    broken = copy_dir(saved, tmp_path / "t")
    data = bytearray((broken / WEIGHTS_FILE).read_bytes())
    data[-10] ^= 0xFF
    (broken / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        gen_models.load(broken)


def test_foreign_and_missing_files_are_refused(saved, tmp_path):
    with pytest.raises(CheckpointError, match="no such folder"):
        gen_models.load(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="no model.json"):
        gen_models.load(empty)
    foreign = copy_dir(saved, tmp_path / "f")
    (foreign / META_FILE).write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CheckpointError, match="not a Latent Lab model"):
        gen_models.load(foreign)
    garbled = copy_dir(saved, tmp_path / "g")
    (garbled / META_FILE).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        gen_models.load(garbled)


def test_weights_of_another_shape_are_refused(saved, tmp_path):
    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    meta["config"]["latent_dim"] = 7
    (other / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="do not fit"):
        gen_models.load(other)


def test_loading_never_unpickles(saved, monkeypatch):
    import pickle

    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("loading a model must not unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert len(gen_models.load(saved).sample(5, seed=0)) == 5
