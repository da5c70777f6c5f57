"""The HTML report and the helpers behind the Evaluate page's figures."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gen_models.evaluation import evaluate
from gen_models.evaluation.report import correlation_matrices, html_report, pca_projection, score_summary, worst_columns


@pytest.fixture(scope="module")
def scored(mixed_table: pd.DataFrame) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """A deliberately imperfect synthetic table: shuffled masses and one species never generated."""
    rng = np.random.default_rng(1)
    synthetic = mixed_table.sample(frac=1.0, random_state=2).reset_index(drop=True)
    synthetic["body_mass_g"] = rng.permutation(synthetic["body_mass_g"].to_numpy()) * 1.3
    synthetic["species"] = synthetic["species"].replace("Chinstrap", "Adelie")
    report = evaluate(mixed_table, synthetic, target="species", seed=0)
    return report, mixed_table, synthetic


def test_report_shows_every_score_and_loads_nothing_from_outside(scored) -> None:
    report, real, synthetic = scored
    page = html_report(report, real, synthetic, title="Penguins <test>")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Penguins &lt;test&gt;" in page, "the title is escaped"
    for value in (report["quality"], report["column_shapes"], report["pair_trends"], report["detection_auc"]):
        assert f"{value:.3f}" in page
    utility = report["utility"]
    assert f"{utility['train_synthetic']:.3f}" in page and f"{utility['train_real']:.3f}" in page
    assert f"{report['privacy']['dcr_synthetic_median']:.3f}" in page
    assert f"{report['privacy']['exact_copies']:.1%}" in page
    for column, score in report["columns"].items():
        assert column in page and f"{score:.3f}" in page
    assert "Chinstrap" in page, "the category never generated is named"
    assert not re.search(r"(src|href)\s*=", page), "no external (or any) linked resources"
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count("<svg") >= 2 * len(report["columns"]), "a bar and a distribution chart per column"


def test_worst_column_comes_first_and_summary_names_each_score(scored) -> None:
    report, _, _ = scored
    worst = worst_columns(report)
    assert [score for _, score in worst] == sorted(report["columns"].values())
    assert worst[0][0] in ("body_mass_g", "species")
    names = [name for name, _, _ in score_summary(report)]
    assert names[:4] == ["Quality", "Column shapes", "Pair trends", "Detection AUC"]
    assert "Utility" in names and "Exact copies" in names and "Coverage" in names


def test_correlations_and_map_have_the_right_shapes(scored) -> None:
    report, real, synthetic = scored
    real_corr, synthetic_corr = correlation_matrices(real, synthetic, report["kinds"])
    numeric = [c for c, k in report["kinds"].items() if k in ("continuous", "integer", "datetime")]
    assert list(real_corr.columns) == numeric and real_corr.shape == synthetic_corr.shape
    assert np.allclose(np.diag(real_corr), 1.0)
    xy_real, xy_synthetic, explained = pca_projection(real, synthetic, report["kinds"])
    assert xy_real.shape == (len(real), 2) and xy_synthetic.shape == (len(synthetic), 2)
    assert 0 < explained[1] <= explained[0] <= 1
    # The axes come from the real rows, so identical rows land on identical points.
    same, again, _ = pca_projection(real, real, report["kinds"])
    assert np.allclose(same, again)
