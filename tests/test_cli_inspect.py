"""`inspect` and `train`'s inferred layout: what the library reads from a person's own file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from gen_models.cli import main


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_inspect_json_has_the_documented_shape_for_a_european_csv(tmp_path, capsys):
    path = tmp_path / "eu.csv"
    path.write_text("a;b;c\n" + "1,5;x;1.234\n2,5;y;2.000\n3,25;x;\n" * 5, encoding="utf-8")
    info = run_json(capsys, "inspect", "--data", str(path), "--json")
    assert set(info) == {"rows", "columns", "layout", "read", "warnings"}
    assert info["rows"] == 15
    assert [c["name"] for c in info["columns"]] == ["a", "b", "c"]
    assert set(info["columns"][0]) == {"name", "kind", "dtype", "reason", "missing_rate", "n_unique"}
    kinds = {c["name"]: c["kind"] for c in info["columns"]}
    assert kinds["a"] == "continuous" and kinds["b"] == "categorical"
    assert info["columns"][2]["missing_rate"] > 0
    assert {"format", "delimiter", "decimal", "encoding"} <= set(info["read"])
    assert (info["read"]["format"], info["read"]["delimiter"], info["read"]["decimal"]) == ("csv", ";", ",")
    layout = info["layout"]
    assert {"kind", "image_shape", "sequence_key", "sequence_index", "label", "format"} <= set(layout)
    assert layout["kind"] == "table" and layout["format"] is None


def test_inspect_proposes_a_long_series_layout_and_a_bundled_set_keeps_its_own(tmp_path, capsys):
    rows = [{"sid": s, "t": t, "value": np.sin(t + s)} for s in range(10) for t in range(12)]
    path = tmp_path / "series.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    layout = run_json(capsys, "inspect", "--data", str(path), "--json")["layout"]
    assert (layout["kind"], layout["sequence_key"], layout["sequence_index"], layout["format"]) == (
        "sequences",
        "sid",
        "t",
        "long",
    )
    info = run_json(capsys, "inspect", "--data", "digits", "--json")
    assert info["read"] is None and info["layout"]["kind"] == "images" and info["layout"]["image_shape"] == [8, 8]


def test_inspect_of_a_missing_file_is_one_plain_line(capsys):
    assert main(["inspect", "--data", "no/such.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "no/such.csv" in err and "Traceback" not in err


def test_train_uses_the_inferred_layout_and_says_so(tmp_path, capsys):
    rng = np.random.default_rng(0)
    pixels = pd.DataFrame(rng.integers(0, 256, (40, 16)), columns=[f"p{i}" for i in range(16)])
    path = tmp_path / "pixels.csv"
    pixels.to_csv(path, index=False)
    out = tmp_path / "model"
    assert main(["train", "--data", str(path), "--model", "vae", "--epochs", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "4x4 images" in err and "layout flags override it" in err
    info = run_json(capsys, "info", str(out), "--json")
    assert info["layout"]["kind"] == "images"
