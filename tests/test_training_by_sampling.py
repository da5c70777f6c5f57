"""WGAN-GP's training-by-sampling (CTGAN's): rare categories are generated, at their real rates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

import gen_models
from gen_models.data import Span
from gen_models.data.layouts import DataLayout
from gen_models.errors import CheckpointError
from gen_models.models.sampling_by_level import LevelSampler
from gen_models.models.wgan_gp import WGANGP

SMALL = {"batch_size": 100, "seed": 0, "generator_hidden": (64, 64), "critic_hidden": (64, 64)}
RARE_SHARE = 0.03


def rare_table(n: int = 1000) -> pd.DataFrame:
    """n rows: 'kind' is 'rare' in exactly 3% of them (where x sits 4 units higher), 'colour' is a coin flip."""
    rng = np.random.default_rng(0)
    kind = rng.choice(["common", "usual"], size=n, p=[0.62, 0.38])
    kind[rng.choice(n, round(RARE_SHARE * n), replace=False)] = "rare"
    x = rng.normal(size=n) + np.where(kind == "rare", 4.0, 0.0)
    return pd.DataFrame({"kind": kind, "x": x, "colour": rng.choice(["red", "blue"], size=n)})


@pytest.fixture(scope="module")
def trained() -> WGANGP:
    model = gen_models.create("wgan_gp", epochs=80, **SMALL)  # 800 steps of 100 rows
    assert model.fit(rare_table()).status == "finished"
    return model


def test_a_rare_level_is_generated_near_its_rate(trained):
    # Trained the same way with training_by_sampling=False, this model generates 'rare' in under 1% of rows.
    rows = trained.sample(10_000, seed=1)
    rare = rows["kind"] == "rare"
    assert 0.5 * RARE_SHARE < rare.mean() < 2 * RARE_SHARE, rare.mean()
    # The rare rows keep their trait, an x 4 units above the others' (a gap that still grows with more steps).
    assert rows.loc[rare, "x"].mean() > rows.loc[~rare, "x"].mean() + 1.0


def test_the_generated_row_holds_the_level_its_conditional_vector_names(trained):
    sampler = trained.level_sampler
    draw = sampler.training_condition(2_000, torch.Generator().manual_seed(0))  # 'rare' is asked for often here
    z = torch.randn(2_000, trained.config.latent_dim, generator=torch.Generator().manual_seed(1))
    with trained._eval_mode(), torch.no_grad():
        raw, _ = trained._generator_output(z, None, draw.vector)
    for j, span in enumerate(sampler.spans):
        chosen = draw.column == j
        agree = raw[chosen, span.start : span.start + span.width].argmax(dim=1) == draw.level[chosen]
        assert agree.float().mean() > 0.95, span.column


def sampler_for(counts: list[list[int]]) -> tuple[LevelSampler, torch.Tensor]:
    """A sampler over categorical columns with these level counts (the same total in each), and its
    (n_rows, width) one-hot rows."""
    spans, blocks, start = [], [], 0
    for j, column in enumerate(counts):
        spans.append(Span(f"c{j}", "category", start, len(column), "softmax"))
        levels = torch.repeat_interleave(torch.arange(len(column)), torch.tensor(column))  # count[l] rows of level l
        shuffled = levels[torch.randperm(len(levels), generator=torch.Generator().manual_seed(j))]
        blocks.append(torch.nn.functional.one_hot(shuffled, len(column)).float())
        start += len(column)
    rows = torch.cat(blocks, dim=1)
    return LevelSampler.from_rows(rows, spans), rows


def test_training_draws_follow_log_frequency_and_sampling_draws_the_real_rates():
    counts = [[970, 30], [500, 300, 150, 50]]
    sampler, rows = sampler_for(counts)
    assert sampler.counts == counts and sampler.width == 6
    n = 200_000
    generator = torch.Generator().manual_seed(0)
    for draw, weight in [
        (sampler.training_condition(n, generator), math.log1p),
        (sampler.sampling_condition(n, generator), float),
    ]:
        assert torch.equal(draw.vector.sum(dim=1), torch.ones(n))  # one level of one column per row
        assert abs((draw.column == 0).float().mean().item() - 0.5) < 0.01  # columns uniformly
        for j, column in enumerate(counts):
            weights = np.array([weight(count) for count in column])
            chosen = draw.level[draw.column == j]
            shares = np.bincount(chosen.numpy(), minlength=len(column)) / len(chosen)
            np.testing.assert_allclose(shares, weights / weights.sum(), atol=0.01)
            block = draw.vector[draw.column == j, int(sampler.offsets[j]) : int(sampler.offsets[j]) + len(column)]
            assert torch.equal(block.argmax(dim=1), chosen)  # the vector names the drawn level

    draw = sampler.training_condition(5_000, generator)
    matched = rows[sampler.matching_rows(draw, generator)]
    for j, span in enumerate(sampler.spans):
        chosen = draw.column == j
        assert torch.equal(matched[chosen, span.start : span.start + span.width].argmax(dim=1), draw.level[chosen])


def test_the_condition_loss_is_the_cross_entropy_of_each_rows_chosen_column():
    sampler, _ = sampler_for([[10, 5, 1], [8, 8]])
    draw = sampler.training_condition(64, torch.Generator().manual_seed(1))
    raw = torch.randn(64, sampler.width + 1)  # a wider row: the spans pick their own part of it
    expected = [
        torch.nn.functional.cross_entropy(raw[i : i + 1, span.start : span.start + span.width], draw.level[i : i + 1])
        for i, span in ((i, sampler.spans[int(draw.column[i])]) for i in range(64))
    ]
    torch.testing.assert_close(sampler.cross_entropy(raw, draw), torch.stack(expected).mean())


def test_save_and_load_give_identical_samples(trained, tmp_path):
    loaded = gen_models.load(trained.save(tmp_path / "m"))
    assert loaded.config.training_by_sampling and loaded.level_sampler is not None
    assert loaded.level_sampler.counts == trained.level_sampler.counts
    assert dict(zip(loaded.encoder.levels("kind"), loaded.level_sampler.counts[0], strict=True)) == {
        "common": (rare_table()["kind"] == "common").sum(),
        "rare": 30,
        "usual": (rare_table()["kind"] == "usual").sum(),
    }
    pd.testing.assert_frame_equal(trained.sample(500, seed=3), loaded.sample(500, seed=3))


def test_a_model_saved_before_the_setting_loads_with_it_off():
    off = gen_models.create("wgan_gp", epochs=2, training_by_sampling=False, **SMALL)
    off.fit(rare_table(200))
    meta, tensors = off.to_state()
    assert "level_sampler" not in meta
    del meta["config"]["training_by_sampling"]  # as written before the setting existed
    loaded = WGANGP.from_state(meta, tensors)
    assert loaded.config.training_by_sampling is False and loaded.level_sampler is None
    pd.testing.assert_frame_equal(off.sample(200, seed=0), loaded.sample(200, seed=0))


def test_a_damaged_saved_sampler_is_refused(trained):
    meta, tensors = trained.to_state()
    for damaged in (None, {"columns": ["kind", "colour"], "counts": [[1, 2], [3, 4]]}, {"columns": ["x"]}):
        with pytest.raises(CheckpointError, match="level sampler"):
            WGANGP.from_state({**meta, "level_sampler": damaged}, tensors)


def test_it_is_off_with_a_condition_column_and_for_sequences():
    conditioned = gen_models.create("wgan_gp", epochs=1, **SMALL)
    conditioned.fit(rare_table(200), condition="kind")
    assert conditioned.level_sampler is None  # the condition column is already the per-row input
    assert (conditioned.sample(50, condition="rare", seed=0)["kind"] == "rare").all()

    waves = gen_models.load_dataset("waves")
    waves = waves[waves["sequence"] < 20].reset_index(drop=True)
    layout = DataLayout(kind="sequences", sequence_key="sequence", sequence_index="step", label="kind")
    sequences = gen_models.create("wgan_gp", epochs=1, **SMALL)
    sequences.fit(waves, layout=layout)
    assert sequences.level_sampler is None
