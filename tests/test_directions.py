"""Discovered directions (gen_models.latent.directions): found, named, saved, applied, on the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.cli import main
from gen_models.errors import ModelError
from gen_models.latent.directions import (
    directions_of,
    find_directions,
    from_standard,
    move,
    searched_codes,
    store_directions,
    to_standard,
)

TINY_VAE = {"epochs": 30, "batch_size": 64, "seed": 0, "latent_dim": 4}


def factor_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """One hidden factor drives height and weight together; the other columns are independent noise."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    return pd.DataFrame(
        {
            "height": 170 + 10 * factor + rng.normal(scale=1.0, size=n),
            "weight": 70 + 8 * factor + rng.normal(scale=1.0, size=n),
            "noise_a": rng.normal(size=n),
            "noise_b": rng.uniform(0, 5, size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
        }
    )


@pytest.fixture(scope="module")
def model() -> gen_models.GenerativeModel:
    torch.set_num_threads(1)
    trained = gen_models.create("vae", **TINY_VAE)
    trained.fit(factor_table())
    return trained


@pytest.fixture(scope="module")
def saved_dir(tmp_path_factory, model) -> str:
    store_directions(model)
    return str(model.save(tmp_path_factory.mktemp("directions") / "vae"))


def test_the_top_direction_names_the_two_columns_one_factor_drives(model):
    top = directions_of(model).items[0]
    named = [part.split(" ")[0] for part in top.label.split(", ")]
    assert sorted(named) == ["height", "weight"], top.label
    assert sorted(top.named) == ["height", "weight"]  # what the traversal charts beside the chosen column
    assert top.effects["height"] * top.effects["weight"] > 0  # they move together, as in the data
    assert abs(top.effects["height"]) > 8  # most of the factor's ±2 std range (±20 cm in the data)


def test_directions_are_orthonormal_and_deterministic(model):
    found = find_directions(model, count=4)
    vectors = np.array([d.vector for d in found.items])
    assert vectors.shape == (4, len(searched_codes(model)))
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(4), atol=1e-6)
    again = find_directions(model, count=4)
    assert [d.to_dict() for d in again.items] == [d.to_dict() for d in found.items]
    assert [d.name for d in found.items] == ["d1", "d2", "d3", "d4"]


def test_sampling_along_a_direction_moves_what_its_label_says(model):
    label = directions_of(model).items[0]
    low = model.sample(300, directions={"d1": -2}, seed=5)
    high = model.sample(300, directions={"d1": 2}, seed=5)
    change = high["height"].median() - low["height"].median()
    assert np.sign(change) == np.sign(label.effects["height"])
    assert abs(change) > 8
    # The independent column stays where it was, within its own spread.
    assert abs(high["noise_a"].median() - low["noise_a"].median()) < 0.5 * low["noise_a"].std()


def test_directions_are_saved_reloaded_and_applied_identically(model, saved_dir):
    meta = json.loads((Path(saved_dir) / "model.json").read_text())
    assert [d["name"] for d in meta["directions"]["items"]] == directions_of(model).names
    loaded = gen_models.load(saved_dir)
    assert loaded.directions_ is not None  # read back, not found again
    assert loaded.directions_.to_dict() == directions_of(model).to_dict()
    values = {"d1": 1.5, "d2": -1.0}
    pd.testing.assert_frame_equal(
        loaded.sample(50, directions=values, seed=3), model.sample(50, directions=values, seed=3)
    )


def test_an_unknown_direction_or_a_bad_value_is_refused_clearly(model):
    with pytest.raises(ModelError, match=r"no direction 'up'.*d1, d2"):
        model.sample(5, directions={"up": 1.0})
    with pytest.raises(ModelError, match="takes a number"):
        model.sample(5, directions={"d1": "high"})
    with pytest.raises(ModelError, match="between -10 and 10"):
        model.sample(5, directions={"d1": 1e9})


def test_held_codes_keep_their_values_and_others_take_the_direction(model):
    directions = directions_of(model)
    z = model.draw_latent(20, {"z0": 1.25}, torch.Generator().manual_seed(0))
    moved = move(model, z, {"d1": 2.0}, directions, held=("z0",))
    assert torch.all(moved[:, 0] == 1.25)
    free = move(model, z, {"d1": 2.0}, directions)
    d = torch.tensor(directions.get("d1").vector, dtype=torch.float64)
    np.testing.assert_allclose((to_standard(model, free) @ d).numpy(), 2.0, atol=1e-5)


def test_uniform_codes_move_in_probit_space_and_stay_in_range():
    older = gen_models.load("pretrained/autoregressive_penguins")  # saved before directions existed
    assert older.directions_ is None
    z = older.draw_latent(200, None, torch.Generator().manual_seed(0))
    np.testing.assert_allclose(from_standard(older, z, to_standard(older, z)).numpy(), z.numpy(), atol=1e-5)
    found = directions_of(older)  # found on demand, then kept on the model object
    assert directions_of(older) is found
    assert bool(((move(older, z, {"d1": 3.0}, found) > 0) & (move(older, z, {"d1": 3.0}, found) < 1)).all())
    far = move(older, z, {"d1": 9.0}, found)  # the edge of the prior, and never beyond it
    assert bool(((far >= 0) & (far <= 1)).all())
    assert len(older.sample(10, directions={"d1": 2.0}, seed=0)) == 10


def test_cli_directions_info_and_sample(saved_dir, tmp_path, capsys):
    assert main(["directions", saved_dir, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["method"] == "regression"
    assert [d["name"] for d in listed["directions"]] == ["d1", "d2", "d3", "d4"]  # 4 latent dimensions
    assert all(set(d) == {"name", "label", "effects"} for d in listed["directions"])
    assert isinstance(listed["directions"][0]["effects"]["height"], float)
    assert set(listed["directions"][0]["effects"]["colour"]) == {"to", "share_change"}

    assert main(["directions", saved_dir, "--count", "2", "--method", "pca"]) == 0
    text = capsys.readouterr().out
    assert "2 directions" in text and "d1:" in text and "d3:" not in text

    assert main(["info", saved_dir, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["directions"] == listed["directions"]

    low, high = tmp_path / "low.csv", tmp_path / "high.csv"
    for value, out in ((-2, low), (2, high)):
        args = ["sample", saved_dir, "--rows", "200", "--out", str(out), "--seed", "1", "--direction", f"d1={value}"]
        assert main([*args, "--direction", "d2=0.5", "--code", "z3=0"]) == 0
    assert pd.read_csv(high)["height"].median() > pd.read_csv(low)["height"].median() + 8
    capsys.readouterr()

    assert main(["sample", saved_dir, "--rows", "5", "--out", str(low), "--direction", "sideways=1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: vae has no direction 'sideways'") and "\n" not in error


def test_explore_shows_the_directions_first_with_their_labels(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LATENT_LAB_RUNS", str(tmp_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/explore.py").run()
    at.selectbox(key="explore_model").select("pretrained:autoregressive_penguins").run()
    assert not at.exception and not at.error
    headings = [heading.value for heading in at.subheader]
    assert headings[0] == "Directions found in this model"  # its 8 u codes are more than 6 directions
    labels = directions_of(gen_models.load("pretrained/autoregressive_penguins"))
    captions = [caption.value for caption in at.caption]
    assert labels.items[0].label in captions, "each slider has its label under it"
    before = at.dataframe[0].value
    at.slider(key="code:pretrained:autoregressive_penguins#directions:d1").set_value(2.0).run()
    assert not at.exception
    assert not at.dataframe[0].value.equals(before)
    assert at.session_state["held:pretrained:autoregressive_penguins"] == {}, "codes stay apart from directions"
    assert any("Directions set: d1 = 2.00" in caption for caption in [c.value for c in at.caption])


def test_images_and_sequences_get_directions_named_by_regions_and_parts():
    images = gen_models.load("pretrained/aae_mnist")
    found = directions_of(images)
    assert found.names == ["d1", "d2"]  # as many as its 2 codes
    assert all(
        re.fullmatch(r"(brighter|darker) [a-z-]+(, [a-z-]+)*(; darker [a-z-]+(, [a-z-]+)*)?", d.label)
        for d in found.items
    )
    first = found.items[0]
    region = first.label.split(" ")[1].rstrip(",;")
    low = images.sample_encoded(200, seed=2, directions={"d1": -2}).numpy()
    high = images.sample_encoded(200, seed=2, directions={"d1": 2}).numpy()
    assert low.shape == high.shape == (200, 28 * 28) and not np.array_equal(low, high)
    assert np.sign(first.effects[region]) == (1 if first.label.startswith("brighter") else -1)

    series = gen_models.load("pretrained/rcgan_waves")
    labels = [d.label for d in directions_of(series).items]
    assert any("amplitude" in label for label in labels), labels  # its card: the codes set amplitude/frequency
    assert len(series.sample(3, directions={"d1": 1.0}, condition="sine", seed=0)) == 3 * series.encoder.steps
