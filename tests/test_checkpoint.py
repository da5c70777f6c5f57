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


def unsigned(meta: dict) -> str:
    """model.json text without its content checksum, as files saved before it had one: the deeper checks then run."""
    return json.dumps({key: value for key, value in meta.items() if key != "meta_sha256"})


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
    (other / META_FILE).write_text(unsigned(meta))
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
    (other / META_FILE).write_text(unsigned(meta))
    with pytest.raises(CheckpointError, match="latent_dim must be a whole number of at least 1, not -3"):
        gen_models.load(other)


def test_an_unknown_model_type_and_a_mismatched_class_are_refused(saved, tmp_path):
    from gen_models.checkpoint import read_metadata, read_weights
    from gen_models.models import VAE

    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    meta["model"] = "diffusion"
    (other / META_FILE).write_text(unsigned(meta))
    with pytest.raises(CheckpointError, match="unknown model type 'diffusion'"):
        gen_models.load(other)
    meta = read_metadata(saved)
    with pytest.raises(CheckpointError, match="a 'gan' model, not a vae one"):
        VAE.from_state(meta, read_weights(saved, meta))


def test_an_edited_model_json_is_caught_by_its_own_checksum(saved, tmp_path):
    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    assert len(meta["meta_sha256"]) == 64
    meta["config"]["latent_dim"] = 7
    (other / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="does not match its own checksum"):
        gen_models.load(other)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(format_version="2"), "format_version is '2'"),
        (lambda m: m.update(format_version=99), "newer Latent Lab"),
        (lambda m: m.update(config=[1, 2]), "'config' is a list"),
        (lambda m: m["schema"].update(columns=[["a", "b"]]), "schema's columns"),
        (lambda m: m.pop("encoder"), "has no 'encoder'"),
        (lambda m: m["config"].update(latent_dim=-4), "latent_dim must be a whole number"),
        (lambda m: m["config"].update(generator_hidden=[4096, 4096, 4096]), "do not fit"),
        (lambda m: m.update(model=["gan"]), "'model' is a list"),
    ],
)
def test_malformed_metadata_is_a_plain_checkpoint_error(saved, tmp_path, change, message):
    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    change(meta)
    (other / META_FILE).write_text(unsigned(meta))
    with pytest.raises(CheckpointError, match=message):
        gen_models.load(other)


def test_deeply_nested_metadata_is_refused(saved, tmp_path):
    other = copy_dir(saved, tmp_path / "o")
    (other / META_FILE).write_text('{"format": "latent-lab-model", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(CheckpointError, match="nested far too deeply"):
        gen_models.load(other)


def test_inflated_sizes_are_refused_before_any_network_is_built(saved, tmp_path, monkeypatch):
    from torch import nn

    other = copy_dir(saved, tmp_path / "o")
    meta = json.loads((other / META_FILE).read_text())
    meta["config"]["generator_hidden"] = [16_000, 16_000]  # about 1 GB of weights if built
    (other / META_FILE).write_text(unsigned(meta))
    built = []
    real_init = nn.Linear.__init__

    def watching_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        built.append(self.weight.device.type)

    monkeypatch.setattr(nn.Linear, "__init__", watching_init)
    with pytest.raises(CheckpointError, match="do not fit"):
        gen_models.load(other)
    assert built and set(built) == {"meta"}  # every layer was made without memory, then refused


@pytest.mark.parametrize("stop_at", [1, 2])
def test_a_save_stopped_at_any_point_leaves_a_loadable_model(tmp_path, mixed_table, monkeypatch, stop_at):
    import gen_models.checkpoint as checkpoint

    first = gen_models.create("vae", epochs=1, seed=0)
    first.fit(mixed_table)
    first.save(tmp_path / "m")
    second = gen_models.create("vae", epochs=2, seed=5)
    second.fit(mixed_table)
    calls = []
    real_replace = checkpoint.os.replace

    def dying_replace(src, dst):  # the process is killed at the stop_at-th move into place
        calls.append(dst)
        if len(calls) == stop_at:
            raise KeyboardInterrupt("killed")
        real_replace(src, dst)

    monkeypatch.setattr(checkpoint.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        second.save(tmp_path / "m")
    monkeypatch.setattr(checkpoint.os, "replace", real_replace)
    loaded = gen_models.load(tmp_path / "m")
    expected = first if stop_at == 1 else second  # killed before model.json moved: old; after: new
    assert loaded.config.epochs == expected.config.epochs
    for key, value in expected.networks.state_dict().items():
        assert torch.equal(loaded.networks.state_dict()[key], value)
