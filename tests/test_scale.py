"""Big tables (issue #17): a step budget bounds training however many rows there are."""

from __future__ import annotations

import numpy as np
import pandas as pd

import gen_models
from gen_models.training import TrainConfig, resolve_epochs
from gen_models.training.loop import epoch_steps


def test_the_step_budget_caps_an_epoch_of_a_big_table() -> None:
    budget = TrainConfig(batch_size=500, auto_steps=600)
    assert epoch_steps(budget, 1_000_000) == 600  # not 2,000 full batches
    assert resolve_epochs(budget, 1_000_000) == 1
    assert epoch_steps(budget, 50_000) == 100 and resolve_epochs(budget, 50_000) == 6  # small tables: full epochs
    fixed = TrainConfig(batch_size=500, epochs=2)
    assert epoch_steps(fixed, 1_000_000) == 2_000  # epochs asked for: every row, every epoch


def test_training_takes_the_budgets_steps_on_a_table_larger_than_it() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=3000).round(3), "k": rng.choice(["a", "b"], 3000)})
    model = gen_models.create("vae", batch_size=10, auto_steps=30, seed=0)  # 300 full batches, a budget of 30
    result = model.fit(frame)
    assert result.status == "finished" and result.steps == 30 and len(model.history) == 30


def test_evaluation_scores_a_bounded_sample_and_says_so(monkeypatch) -> None:  # noqa: ANN001
    import gen_models.evaluation as evaluation

    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(size=300).round(3), "k": rng.choice(["a", "b"], 300)})
    synthetic = pd.DataFrame({"x": rng.normal(size=200).round(3), "k": rng.choice(["a", "b"], 200)})
    whole = evaluation.evaluate(real, synthetic)
    assert whole["rows_scored"] == {"real": 300, "synthetic": 200, "real_total": 300, "synthetic_total": 200}
    monkeypatch.setattr(evaluation, "MAX_EVALUATION_ROWS", 100)
    sampled = evaluation.evaluate(real, synthetic)
    assert sampled["rows_scored"] == {"real": 100, "synthetic": 100, "real_total": 300, "synthetic_total": 200}
    assert sampled == evaluation.evaluate(real, synthetic)  # the same seeded sample each time
    assert sampled["column_shapes"] != whole["column_shapes"]  # it did score other rows


def test_a_ragged_line_is_named_with_or_without_quotes() -> None:
    from gen_models.data.errors import DataError
    from gen_models.data.reading import read_csv

    plain = b"a,b\r\n1,2\r\n\r\n3,4\r\n5\r\n"  # no quotes: counted with numpy
    quoted = b'a,b\n1,"2"\n\n3,4\n5\n'  # quotes: read cell by cell
    for raw in (plain, quoted):
        try:
            read_csv(raw)
        except DataError as error:
            assert str(error).startswith("Line 5 has 1 cells but the header has 2 columns"), str(error)
        else:
            raise AssertionError("a short line was let through")
    assert read_csv(b"a,b\n1,2\n\n3,4\n").shape == (2, 2)


def test_sample_streams_a_parquet_file_chunk_by_chunk(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from gen_models.cli import main
    from gen_models.cli import sample as sample_command

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"x": rng.normal(size=200).round(2), "k": rng.choice(["=a", "b", None], 200)})
    model = gen_models.create("vae", epochs=1, seed=0)
    model.fit(frame)
    model.save(tmp_path / "model")
    monkeypatch.setattr(sample_command, "CHUNK_ROWS", 40)  # 250 rows: 7 chunks, 7 row groups
    command = ["sample", str(tmp_path / "model"), "--rows", "250", "--seed", "1", "--out"]
    assert main([*command, str(tmp_path / "rows.parquet")]) == 0
    assert main([*command, str(tmp_path / "rows.csv")]) == 0
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(tmp_path / "rows.parquet")
    assert parquet.metadata.num_row_groups == 7 and parquet.metadata.num_rows == 250
    rows = pd.read_parquet(tmp_path / "rows.parquet")
    assert list(rows.columns) == ["x", "k"] and len(rows) == 250
    text = pd.read_csv(tmp_path / "rows.csv")
    assert len(text) == 250 and np.allclose(text["x"].to_numpy(), rows["x"].to_numpy())  # the same rows
