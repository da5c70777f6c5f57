"""CSV output neutralises formula cells taken from the training data (CSV injection)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from gen_models.data.writing import neutralise_formulas, write_csv


def test_text_cells_that_start_a_formula_get_an_apostrophe_and_numbers_do_not():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd", "plain", None],
            "value": [-5, 1, 2, 3, 4, 5, 6, 7],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["name"].tolist()[:7] == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "plain",
    ]
    assert pd.isna(safe["name"].iloc[7])
    assert safe["value"].tolist() == frame["value"].tolist()
    assert frame["name"].iloc[0].startswith("=")  # the input is not changed


def test_write_csv_is_safe_by_default_and_raw_on_request():
    frame = pd.DataFrame({"c": pd.Series(["=1+1", "ok"], dtype="string"), "n": [-1.5, 2.0]})
    safe = pd.read_csv(io.StringIO(write_csv(frame)))
    assert safe["c"].tolist() == ["'=1+1", "ok"] and safe["n"].tolist() == [-1.5, 2.0]
    raw = pd.read_csv(io.StringIO(write_csv(frame, keep_formulas=True)))
    assert raw["c"].tolist() == ["=1+1", "ok"]


def test_cli_sample_neutralises_formulas_and_writes_chunks_that_repeat_exactly(tmp_path, monkeypatch):
    import gen_models
    from gen_models.cli import main, sample

    rows = 60
    frame = pd.DataFrame(
        {
            "note": ['=HYPERLINK("http://evil.example","click")' if i % 2 else "fine" for i in range(rows)],
            "x": [float(i % 7) for i in range(rows)],
        }
    )
    model = gen_models.create("vae", epochs=1, seed=0)
    model.fit(frame)
    model.save(tmp_path / "m")
    monkeypatch.setattr(sample, "CHUNK_ROWS", 7)  # 25 rows = 7 + 7 + 7 + 4
    out, again, raw = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "raw.csv"
    for target in (out, again):
        assert main(["sample", str(tmp_path / "m"), "--rows", "25", "--seed", "3", "--out", str(target)]) == 0
    assert (
        main(["sample", str(tmp_path / "m"), "--rows", "25", "--seed", "3", "--out", str(raw), "--keep-formulas"]) == 0
    )
    written = pd.read_csv(out)
    assert len(written) == 25 and list(written.columns) == ["note", "x"]
    assert out.read_text() == again.read_text()
    assert not written["note"].str.startswith("=").any()
    assert pd.read_csv(raw)["note"].str.startswith("=").any()
    # The first chunk is exactly what the Python API gives for the same seed.
    first = gen_models.load(tmp_path / "m").sample(7, seed=3)
    assert written["x"].head(7).tolist() == pytest.approx(first["x"].tolist())
