"""Model directories: safetensors + JSON, and clear errors for anything damaged or foreign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import gen_models
from gen_models.checkpoint import META_FILE, WEIGHTS_FILE
from gen_models.errors import CheckpointError

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"


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


def test_saving_and_loading_round_trips_the_state(tmp_path, mixed_table):
    from safetensors.torch import load_file

    model = gen_models.create("wgan_gp", epochs=1, batch_size=40, seed=0)
    model.fit(mixed_table, condition="species")
    loaded = gen_models.load(model.save(tmp_path / "m"))
    # The file's keys are "<network>.<parameter>", exactly each network's own state_dict keys.
    per_network = {f"{name}.{key}" for name, net in model.networks.items() for key in net.state_dict()}
    assert set(load_file(tmp_path / "m" / WEIGHTS_FILE)) == per_network
    assert list(loaded.networks.state_dict()) == list(model.networks.state_dict())
    for key, value in model.networks.state_dict().items():
        assert torch.equal(loaded.networks.state_dict()[key], value), key
    as_json = [json.loads(json.dumps(m.to_state()[0])) for m in (model, loaded)]
    assert as_json[0] == as_json[1]  # what was saved comes back
    assert not loaded.networks.training
    assert model.sample(30, seed=4).equals(loaded.sample(30, seed=4))
    assert model.sample(30, condition="Gentoo", seed=4).equals(loaded.sample(30, condition="Gentoo", seed=4))


def test_committed_pretrained_models_load_with_their_keys():
    from safetensors.torch import load_file

    for directory in sorted(PRETRAINED.iterdir()):
        if (directory / META_FILE).is_file():
            model = gen_models.load(directory)
            assert set(model.networks.state_dict()) == set(load_file(directory / WEIGHTS_FILE)), directory.name


def test_a_bad_saved_setting_is_refused_naming_it(saved, tmp_path):
    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    meta["config"]["latent_dim"] = -3
    (other / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="latent_dim must be a whole number of at least 1, not -3"):
        gen_models.load(other)


def test_an_unknown_model_type_and_a_mismatched_class_are_refused(saved, tmp_path):
    from gen_models.checkpoint import read_metadata, read_weights
    from gen_models.models import VAE

    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    meta["model"] = "diffusion"
    (other / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="unknown model type 'diffusion'"):
        gen_models.load(other)
    meta = read_metadata(saved)
    with pytest.raises(CheckpointError, match="a 'gan' model, not a vae one"):
        VAE.from_state(meta, read_weights(saved, meta))
