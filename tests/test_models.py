"""Registry-wide model tests: every architecture trains, samples valid rows, saves, loads, stops."""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.catalogue import MODEL_TITLES
from gen_models.data.layouts import DataLayout
from gen_models.errors import ModelError
from gen_models.models import REGISTRY
from ui.core.architectures import ARCHITECTURES

FAST = {"epochs": 2, "batch_size": 40, "seed": 3}
TABLE_MODELS = [name for name, cls in REGISTRY.items() if "table" in cls.data_kinds]
WAVES = DataLayout(kind="sequences", sequence_key="sequence", sequence_index="step", label="kind")


def small_waves() -> pd.DataFrame:
    """160 labelled waves of 30 steps: data for models that only take sequences."""
    data = gen_models.load_dataset("waves")
    return data[data["sequence"] < 160].reset_index(drop=True)


def training_data(name: str, table: pd.DataFrame) -> tuple[pd.DataFrame, DataLayout, str | None]:
    """Data, layout and condition (where the model needs one) suited to a registered model."""
    cls = REGISTRY[name]
    if "table" in cls.data_kinds:
        return table, DataLayout(), "species" if cls.needs_condition else None
    return small_waves(), WAVES, "kind" if cls.needs_condition else None


def fit_small(name: str, data: pd.DataFrame, **kwargs):
    data, layout, condition = training_data(name, data)
    model = gen_models.create(name, **FAST)
    result = model.fit(data, condition=condition, layout=layout, **kwargs)
    return model, result


@pytest.fixture(scope="module", params=list(REGISTRY))
def trained(request, mixed_table):
    model, result = fit_small(request.param, mixed_table)
    return model, result


@pytest.fixture(scope="module", params=TABLE_MODELS)
def trained_on_table(request, mixed_table):
    model, result = fit_small(request.param, mixed_table)
    return model, result


def test_registry_lists_issue_models():
    assert {"gan", "cgan", "wgan_gp", "vae"} <= set(gen_models.list_models())
    for description in gen_models.list_models().values():
        assert description and "\n" not in description


def test_torch_free_catalogue_matches_the_registry():
    """The app's first page lists models from gen_models.catalogue, without importing the classes."""
    assert list(gen_models.list_models()) == list(REGISTRY)
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert gen_models.list_models()[name] == cls.description
    assert list(MODEL_TITLES) == list(REGISTRY)
    assert {name: ARCHITECTURES[name].title for name in REGISTRY} == MODEL_TITLES, "Home, Train and Learn agree"


def test_few_steps_give_finite_losses(trained):
    model, result = trained
    assert result.status == "finished", result.message
    assert result.steps == len(model.history) == FAST["epochs"] * (160 // FAST["batch_size"])  # 160 items
    for record in model.history:
        losses = {k: v for k, v in record.items() if k not in {"epoch", "step"}}
        assert losses and all(math.isfinite(v) for v in losses.values())


def test_samples_have_training_columns_dtypes_and_valid_categories(trained_on_table, mixed_table):
    model, _ = trained_on_table
    rows = model.sample(300, seed=1)
    assert list(rows.columns) == list(mixed_table.columns)
    assert len(rows) == 300
    for column in mixed_table.columns:
        assert rows[column].dtype == mixed_table[column].dtype, column
    assert set(rows["species"]) <= set(mixed_table["species"])
    assert set(rows["island"].dropna()) <= set(mixed_table["island"].dropna())
    assert set(rows["tagged"]) <= {True, False}
    assert rows["flipper_mm"].between(mixed_table["flipper_mm"].min(), mixed_table["flipper_mm"].max()).all()


def test_same_seed_same_samples_and_save_load_identical(trained, tmp_path):
    model, _ = trained
    first = model.sample(200, seed=11)
    pd.testing.assert_frame_equal(first, model.sample(200, seed=11))
    assert not first.equals(model.sample(200, seed=12))
    model.save(tmp_path / "m")
    loaded = gen_models.load(tmp_path / "m")
    assert loaded.name == model.name
    pd.testing.assert_frame_equal(first, loaded.sample(200, seed=11))
    assert loaded.history == model.history
    assert loaded.describe() == model.describe()


def test_codes_describe_the_latent_space_and_can_be_fixed(trained):
    model, _ = trained
    codes = model.latent_codes()
    assert codes
    code = next(c for c in codes if c.kind == "continuous")
    low = model.sample_encoded(64, codes={code.name: code.low}, seed=5)
    high = model.sample_encoded(64, codes={code.name: code.high}, seed=5)
    assert not torch.equal(low, high)  # the code reaches the output
    with pytest.raises(gen_models.ModelError, match="no code 'nope'"):
        model.sample(5, codes={"nope": 1.0})


def test_training_is_reproducible_with_a_seed(mixed_table):
    a, _ = fit_small("wgan_gp", mixed_table)
    b, _ = fit_small("wgan_gp", mixed_table)
    assert a.history == b.history
    pd.testing.assert_frame_equal(a.sample(50, seed=0), b.sample(50, seed=0))


@pytest.mark.parametrize("name", list(REGISTRY))
def test_stop_event_stops_training(name, mixed_table):
    stop = threading.Event()
    seen = []

    def on_step(metrics):
        seen.append(metrics["step"])
        if len(seen) == 3:
            stop.set()

    model = gen_models.create(name, epochs=50, batch_size=40, seed=0)
    data, layout, condition = training_data(name, mixed_table)
    result = model.fit(data, condition=condition, layout=layout, on_step=on_step, stop_event=stop)
    assert result.status == "stopped"
    assert result.steps == 3 and len(model.history) == 3
    assert len(model.sample_encoded(10, seed=0)) == 10  # a stopped model is still usable


@pytest.mark.parametrize("name", list(REGISTRY))
def test_nan_loss_stops_cleanly_and_keeps_last_good_weights(name, mixed_table, monkeypatch):
    model = gen_models.create(name, epochs=5, batch_size=40, seed=0)
    cls = type(model)
    original = cls.train_step
    good = {}

    def poisoned(self, x, c):
        if len(self.history) == 4:  # 4 steps an epoch: these are the weights at the end of epoch 1
            good.update({n: {k: v.clone() for k, v in net.state_dict().items()} for n, net in self.networks.items()})
        losses = original(self, x, c)
        if len(self.history) == 6:  # break the weights and report it, as a real blow-up would
            with torch.no_grad():
                for p in next(iter(self.networks.values())).parameters():
                    p.fill_(float("nan"))
            losses[next(iter(losses))] = float("nan")
        return losses

    monkeypatch.setattr(cls, "train_step", poisoned)
    data, layout, condition = training_data(name, mixed_table)
    result = model.fit(data, condition=condition, layout=layout)
    assert result.status == "diverged"
    assert "became nan" in result.message and "epoch 1" in result.message
    assert result.epochs_completed == 1
    for net_name, net in model.networks.items():
        for key, value in net.state_dict().items():
            assert torch.equal(value, good[net_name][key]), (net_name, key)
    assert np.isfinite(model.sample_encoded(20, seed=0).numpy()).all()


def test_cgan_samples_the_requested_label(mixed_table):
    model, _ = fit_small("cgan", mixed_table)
    assert model.describe()["condition"] == {"column": "species", "values": ["Adelie", "Chinstrap", "Gentoo"]}
    rows = model.sample(100, condition="Gentoo", seed=0)
    assert (rows["species"] == "Gentoo").all()
    with pytest.raises(gen_models.DataError, match="Emperor"):
        model.sample(5, condition="Emperor")


def test_cgan_without_condition_names_the_candidates(mixed_table):
    with pytest.raises(gen_models.DataError, match="species"):
        gen_models.create("cgan", epochs=1).fit(mixed_table)


def test_wgan_gp_can_be_conditional(mixed_table):
    model = gen_models.create("wgan_gp", **FAST)
    model.fit(mixed_table, condition="island")
    rows = model.sample(50, condition="Dream", seed=0)
    assert (rows["island"] == "Dream").all()


def test_condition_must_be_categorical(mixed_table):
    with pytest.raises(gen_models.DataError, match="must be categorical"):
        gen_models.create("cgan", epochs=1).fit(mixed_table, condition="body_mass_g")


def test_vae_encodes_rows_onto_its_codes(mixed_table):
    model, _ = fit_small("vae", mixed_table)
    codes = model.encode(mixed_table.head(30))
    assert codes.shape == (30, model.config.latent_dim)
    assert np.isfinite(codes).all()


def test_unknown_model_and_setting_are_clear():
    with pytest.raises(gen_models.ModelError, match="Available: gan"):
        gen_models.create("nope")
    with pytest.raises(gen_models.ModelError, match="no setting 'epoch'"):
        gen_models.create("gan", epoch=3)


def test_sampling_before_fit_is_a_clear_error():
    with pytest.raises(gen_models.ModelError, match="not been trained"):
        gen_models.create("vae").sample(3)


def test_settings_typed_as_text_take_their_config_fields_types():
    from gen_models.models.infogan import InfoGANConfig
    from gen_models.training import setting_from_text

    assert setting_from_text(InfoGANConfig, "c1_tilt", "15") == 15.0
    assert setting_from_text(InfoGANConfig, "n_levels", " 12 ") == 12
    assert setting_from_text(InfoGANConfig, "learn_std", "Yes") is True
    assert setting_from_text(InfoGANConfig, "generator_hidden", "128, 64") == (128, 64)
    assert setting_from_text(InfoGANConfig, "epochs", "none") is None
    assert setting_from_text(InfoGANConfig, "epochs", "30") == 30
    assert setting_from_text(InfoGANConfig, "device", "cpu") == "cpu"
    assert setting_from_text(InfoGANConfig, "depth", "3") == "3"  # the constructor refuses unknown names
    with pytest.raises(gen_models.ModelError, match="true or false"):
        setting_from_text(InfoGANConfig, "learn_std", "maybe")
    with pytest.raises(gen_models.ModelError, match="whole numbers"):
        setting_from_text(InfoGANConfig, "generator_hidden", "128, wide")


@pytest.mark.parametrize(
    ("name", "setting", "value", "message"),
    [
        ("gan", "latent_dim", -3, "latent_dim must be a whole number of at least 1, not -3."),
        ("gan", "epochs", -1, "epochs must be a whole number of at least 0, not -1."),
        ("gan", "batch_size", 2.5, "batch_size must be a whole number of at least 1, not 2.5."),
        ("gan", "device", "gpu", "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', not 'gpu'."),
        ("vae", "lr", 0.0, "lr must be a finite number greater than 0, not 0.0."),
        ("vae", "latent_dim", True, "latent_dim must be a whole number of at least 1, not True."),
        ("wgan_gp", "critic_hidden", (64, 0), "critic_hidden must be a list of layer sizes"),
        ("wgan_gp", "gp_weight", -1.0, "gp_weight must be a finite number, 0 or more, not -1.0."),
        ("bigan", "dropout", 1.0, "dropout must be a finite number, 0 or more and below 1, not 1.0."),
        ("rcgan", "every_step", "yes", "every_step must be true or false, not 'yes'."),
        ("rcgan", "label_smoothing", 1.5, "label_smoothing must be a finite number, 0 or more and below 1"),
        ("infogan", "lr_generator", math.nan, "lr_generator must be a finite number greater than 0, not nan."),
        ("infogan", "discriminator_hidden", (), "discriminator_hidden must have at least one layer size"),
        ("aae", "prior", "cauchy", "Unknown prior 'cauchy': prior must be one of gaussian, mixture, uniform."),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field_value_and_range(name, setting, value, message):
    with pytest.raises(gen_models.ModelError) as refused:
        gen_models.create(name, **{setting: value})
    assert message in str(refused.value)


def test_settings_are_checked_together_and_on_every_change():
    assert gen_models.create("aae", code_dim=1).config.code_dim == 1  # one code is fine ...
    with pytest.raises(gen_models.ModelError, match="code_dim must be at least 2, not 1"):
        gen_models.create("aae", prior="mixture", code_dim=1)  # ... but not with a mixture prior
    model = gen_models.create("gan")
    with pytest.raises(gen_models.ModelError, match="tau"):
        type(model)(model.config, tau=-1.0)  # dataclasses.replace runs the checks too


def test_every_default_config_passes_its_checks():
    for cls in REGISTRY.values():
        assert cls.Config() == cls().config


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_model_trains_in_bf16_mixed_precision(name, mixed_table):
    """precision="bf16" runs the steps under autocast (here on the CPU, as it would on a GPU): each model still
    trains to finite losses and samples finite items, and its weights stay float32."""
    data, layout, condition = training_data(name, mixed_table)
    model = gen_models.create(name, epochs=2, batch_size=40, seed=0, precision="bf16")
    result = model.fit(data, condition=condition, layout=layout)
    assert result.status == "finished", result.message
    losses = [value for record in model.history for key, value in record.items() if key not in ("epoch", "step")]
    assert losses and all(math.isfinite(value) for value in losses)
    assert all(p.dtype == torch.float32 for p in model.networks.parameters())
    assert torch.isfinite(model.sample_encoded(20, seed=0)).all()


def test_an_unknown_precision_is_refused():
    with pytest.raises(ModelError, match="precision must be one of fp32, bf16"):
        gen_models.create("gan", precision="fp16")
