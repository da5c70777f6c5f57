"""Tests for gen_models.evaluation: hand-computed fidelity numbers and metric behaviour."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gen_models import evaluation

CONTINUOUS = "continuous"
CATEGORICAL = "categorical"


def mixed_frame(n: int, seed: int) -> pd.DataFrame:
    """Correlated numbers, a dependent category, an integer, a date and some gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(scale=0.5, size=n),
            "colour": np.where(x > 0, "red", "blue"),
            "count": rng.integers(0, 100, size=n),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
        }
    )
    frame.loc[rng.random(n) < 0.1, "y"] = np.nan
    frame.loc[rng.random(n) < 0.1, "colour"] = None
    return frame


# --- column shapes ---------------------------------------------------------


def test_ks_complement_matches_hand_computed_value_and_ignores_missing():
    # ECDFs of {1,2,3,4} and {3,4,5,6} differ by at most 0.5 (at x = 2 and x = 4).
    real = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0]})
    synthetic = pd.DataFrame({"v": [3.0, 4.0, 5.0, 6.0, np.nan]})
    scores = evaluation.column_shapes(real, synthetic, kinds={"v": CONTINUOUS})
    assert scores["v"] == pytest.approx(0.5)


def test_tv_complement_drops_missing_cells_as_sdmetrics_does():
    # Among present cells p = (a .5, b .25, c .25), q = (a 1/3, b 2/3, c 0):
    # TVD = (1/6 + 5/12 + 1/4) / 2 = 5/12, so the score is 7/12.
    real = pd.DataFrame({"c": ["a", "a", "b", "c"]})
    synthetic = pd.DataFrame({"c": ["a", "b", "b", None]})
    assert evaluation.column_shapes(real, synthetic)["c"] == pytest.approx(7 / 12)


def test_categories_of_different_dtypes_are_compared_as_strings():
    real = pd.DataFrame({"c": [1, 2, 2, 3]})
    synthetic = pd.DataFrame({"c": ["1", "2", "2", "3"]})
    as_floats = pd.DataFrame({"c": [1.0, 2.0, 2.0, 3.0]})
    kinds = {"c": CATEGORICAL}
    assert evaluation.column_shapes(real, synthetic, kinds)["c"] == pytest.approx(1.0)
    assert evaluation.column_shapes(real, as_floats, kinds)["c"] == pytest.approx(1.0)


def test_disjoint_data_scores_near_zero():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"v": rng.normal(0, 1, 500), "c": rng.choice(["a", "b"], 500)})
    synthetic = pd.DataFrame({"v": rng.normal(10, 1, 500), "c": rng.choice(["c", "d"], 500)})
    scores = evaluation.column_shapes(real, synthetic)
    assert scores["v"] < 0.01
    assert scores["c"] == pytest.approx(0.0)


# --- pair trends ------------------------------------------------------------


def test_correlation_similarity_is_zero_for_opposite_correlations():
    real = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0]})
    synthetic = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [8.0, 6.0, 4.0, 2.0]})
    kinds = {"a": CONTINUOUS, "b": CONTINUOUS}
    report = evaluation.quality_score(real, synthetic, kinds)
    assert evaluation.pair_trends(real, synthetic, kinds)[("a", "b")] == pytest.approx(0.0)
    assert report["pairs"] == [
        {"columns": ["a", "b"], "metric": "correlation", "score": 0.0, "real": pytest.approx(1.0), "counted": True}
    ]


def test_contingency_similarity_bins_each_table_on_its_own_range():
    # SDMetrics cuts each table's numbers into 10 bins of that table's own range (np.digitize codes 1..11,
    # the maximum in code 11). Real x 0..10: 0 -> 1, 10 -> 11, so the joint table is (1,a) .5, (11,b) .5.
    # Synthetic x 0..20: 0 -> 1, 10 -> 6, 20 -> 11: (1,a) .5, (6,b) .25, (11,b) .25.
    # TVD = (0 + .25 + .25) / 2 = 0.25, so the score is 0.75.
    real = pd.DataFrame({"x": [0.0, 10.0, 0.0, 10.0], "c": ["a", "b", "a", "b"]})
    synthetic = pd.DataFrame({"x": [0.0, 10.0, 0.0, 20.0], "c": ["a", "b", "a", "b"]})
    trends = evaluation.pair_trends(real, synthetic, kinds={"x": CONTINUOUS, "c": CATEGORICAL})
    assert trends[("x", "c")] == pytest.approx(0.75)


def reference_contingency(real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str) -> float:
    """Slow pandas version of SDMetrics' contingency similarity for column a numeric, b categorical."""
    real, synthetic = real[[a, b]].copy(), synthetic[[a, b]].copy()
    for frame in (real, synthetic):  # each table binned on its own range, as SDMetrics' ColumnPairTrends does
        frame[a] = np.digitize(frame[a], bins=np.histogram_bin_edges(frame[a].dropna()))
    joint_real = real.groupby([a, b], dropna=False, observed=False).size() / len(real)
    joint_synthetic = synthetic.groupby([a, b], dropna=False, observed=False).size() / len(synthetic)
    both = pd.concat([joint_real, joint_synthetic], axis=1).fillna(0.0)
    return 1.0 - 0.5 * float((both[0] - both[1]).abs().sum())


def test_vectorised_pair_trends_match_a_pandas_reference():
    real, synthetic = mixed_frame(300, seed=1), mixed_frame(300, seed=2)
    synthetic["y"] = synthetic["y"] * 1.5 + 1  # shift and stretch so bins and clipping matter
    trends = evaluation.pair_trends(real, synthetic)
    assert trends[("y", "colour")] == pytest.approx(reference_contingency(real, synthetic, "y", "colour"))
    assert trends[("x", "colour")] == pytest.approx(reference_contingency(real, synthetic, "x", "colour"))
    r_real = real["x"].corr(real["y"])
    r_synthetic = synthetic["x"].corr(synthetic["y"])
    assert trends[("x", "y")] == pytest.approx(1 - abs(r_real - r_synthetic) / 2)


def test_shuffled_column_keeps_shapes_but_breaks_trends():
    real = mixed_frame(500, seed=3)
    synthetic = real.copy()
    synthetic["y"] = np.random.default_rng(0).permutation(real["y"].to_numpy())
    report = evaluation.quality_score(real, synthetic)
    assert report["column_shapes"] == pytest.approx(1.0)
    assert report["pair_trends"] < 0.95  # only the 4 pairs involving y can change
    scores = {tuple(p["columns"]): p["score"] for p in report["pairs"]}
    assert scores[("x", "y")] < 0.6  # r drops from about 0.97 to about 0
    assert scores[("y", "colour")] < 0.9  # y no longer follows the colour
    assert scores[("x", "colour")] == pytest.approx(1.0)


# --- quality and edge cases -------------------------------------------------


def test_identical_data_has_perfect_quality():
    real = mixed_frame(300, seed=4)
    report = evaluation.quality_score(real, real.copy())
    assert report["quality"] == pytest.approx(1.0)
    assert set(report["columns"]) == set(real.columns)
    assert len(report["pairs"]) == 10


def test_single_column_quality_is_the_column_shape():
    real = pd.DataFrame({"c": ["a", "a", "b", "c"]})
    synthetic = pd.DataFrame({"c": ["a", "b", "b", None]})
    report = evaluation.quality_score(real, synthetic)
    assert report["pairs"] == []
    assert report["pair_trends"] is None
    assert report["quality"] == pytest.approx(7 / 12)


def test_a_correlation_with_a_constant_column_is_undefined_and_not_counted():
    real = pd.DataFrame({"a": [1.0, 1.0, 1.0, 1.0], "b": [5.0, 5.0, 5.0, 5.0], "c": [1.0, 2.0, 3.0, 4.0]})
    # In the synthetic data c correlates perfectly with a non-constant a; a is still constant in the real data.
    varying = real.assign(a=[1.0, 2.0, 3.0, 4.0])
    kinds = dict.fromkeys("abc", CONTINUOUS)
    assert evaluation.pair_trends(real, real.copy(), kinds)[("a", "b")] is None
    assert evaluation.pair_trends(real, varying, kinds)[("a", "c")] is None
    report = evaluation.quality_score(real, varying, kinds)
    assert not any(pair["counted"] for pair in report["pairs"])
    assert report["pair_trends"] is None
    assert report["quality"] == report["column_shapes"]


def test_only_pairs_related_in_the_real_data_count():
    # |r_real| must exceed 0.5 (correlation) and Cramér's V 0.3 (contingency), as in SDMetrics' QualityReport.
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    real = pd.DataFrame(
        {"x": x, "strong": x + rng.normal(scale=0.3, size=2000), "weak": x + rng.normal(scale=3, size=2000)}
    )
    report = evaluation.quality_score(real, real.sample(frac=1.0, random_state=1).reset_index(drop=True))
    counted = {tuple(pair["columns"]): pair["counted"] for pair in report["pairs"]}
    assert counted == {("x", "strong"): True, ("x", "weak"): False, ("strong", "weak"): False}
    assert report["pair_trends"] == pytest.approx(1.0)


def test_shuffled_table_matches_hand_computed_sdmetrics_scores():
    # Every column permuted on its own: shapes stay perfect, relations go. By hand (see the fidelity docstring):
    # (x,y) r 1 -> -1: 0; (x,c) unchanged: 1; (x,d) 0.5; (y,c) no joint cell shared: 0; (y,d) 0.5; (c,d) 0.5.
    # Each pair is perfectly related in the real data, so all six count: trends 2.5 / 6, quality (1 + 2.5/6) / 2.
    real = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0], "c": ["p", "p", "q", "q"], "d": ["u", "u", "v", "v"]}
    )
    shuffled = real.assign(y=[8.0, 6.0, 4.0, 2.0], d=["v", "u", "v", "u"])
    report = evaluation.quality_score(real, shuffled, kinds={"x": CONTINUOUS, "y": CONTINUOUS})
    scores = {tuple(pair["columns"]): pair["score"] for pair in report["pairs"]}
    assert scores == pytest.approx(
        {("x", "y"): 0.0, ("x", "c"): 1.0, ("x", "d"): 0.5, ("y", "c"): 0.0, ("y", "d"): 0.5, ("c", "d"): 0.5}
    )
    assert all(pair["counted"] for pair in report["pairs"])
    assert report["column_shapes"] == pytest.approx(1.0)
    assert report["pair_trends"] == pytest.approx(2.5 / 6)
    assert report["quality"] == pytest.approx((1 + 2.5 / 6) / 2)


def test_all_missing_synthetic_column_has_no_shape_score_without_crashing():
    # SDMetrics' KSComplement and TVComplement are undefined without a present value; they leave the average.
    real = mixed_frame(100, seed=5)
    synthetic = real.copy()
    synthetic["x"] = np.nan
    synthetic["colour"] = None
    report = evaluation.quality_score(real, synthetic)
    assert report["columns"]["x"] is None
    assert report["columns"]["colour"] is None
    assert report["column_shapes"] == pytest.approx(1.0)
    assert 0.0 < report["quality"] < 1.0


def test_mismatched_columns_are_named_in_the_error():
    real = pd.DataFrame({"a": [1.0], "b": [2.0]})
    synthetic = pd.DataFrame({"a": [1.0], "z": [2.0]})
    with pytest.raises(ValueError, match=r"missing \['b'\], extra \['z'\]"):
        evaluation.quality_score(real, synthetic)


def test_column_order_does_not_matter_and_bad_kinds_are_rejected():
    real = mixed_frame(100, seed=6)
    reordered = real[list(reversed(real.columns))]
    assert evaluation.quality_score(real, reordered)["quality"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown kind"):
        evaluation.quality_score(real, real, kinds={"x": "fuzzy"})


def test_inferred_kinds():
    kinds = evaluation.infer_kinds(mixed_frame(100, seed=7))
    assert kinds == {
        "x": CONTINUOUS,
        "y": CONTINUOUS,
        "colour": CATEGORICAL,
        "count": "integer",
        "day": "datetime",
    }
    few_values = pd.DataFrame({"n": [1, 2, 3, 1], "flag": [True, False, True, True]})
    assert evaluation.infer_kinds(few_values) == {"n": CATEGORICAL, "flag": CATEGORICAL}


def test_datetimes_are_compared_as_numbers():
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
    real = pd.DataFrame({"d": days})
    synthetic = pd.DataFrame({"d": days + pd.Timedelta(days=2)})
    assert evaluation.column_shapes(real, synthetic)["d"] == pytest.approx(0.5)


# --- detection --------------------------------------------------------------


def test_detection_cannot_tell_identical_data_apart():
    real = mixed_frame(400, seed=8)
    auc = evaluation.detection_auc(real, real.copy(), seed=0)
    assert abs(auc - 0.5) < 0.1
    assert evaluation.detection_auc(real, real.copy(), seed=0) == auc  # seeded
    # A fresh draw from the same process is what a perfect generator would give.
    assert evaluation.detection_auc(real, mixed_frame(400, seed=21), seed=0) < 0.6


def test_detection_tells_shifted_data_apart():
    real = mixed_frame(400, seed=9)
    synthetic = real.assign(x=real["x"] + 3)
    assert evaluation.detection_auc(real, synthetic, seed=0) > 0.9
    assert evaluation.detection_auc(real, synthetic, seed=0, classifier="boosting") > 0.9


# --- utility ----------------------------------------------------------------


def threshold_frame(n: int, seed: int) -> pd.DataFrame:
    """A target that is a deterministic function of one feature, plus a noise column."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    return pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=n),
            "label": np.where(x > 0, "high", "low"),
            "amount": 3 * x + 1,
        }
    )


def test_utility_classification_ratio_is_high_for_real_like_data_and_low_for_noise():
    real, real_test = threshold_frame(600, seed=10), threshold_frame(300, seed=11)
    fresh = threshold_frame(600, seed=12)  # same process, new draws: "perfect" synthetic data
    scrambled = fresh.assign(label=np.random.default_rng(0).permutation(fresh["label"].to_numpy()))
    good = evaluation.utility(real, fresh, "label", seed=0, real_test=real_test)
    bad = evaluation.utility(real, scrambled, "label", seed=0, real_test=real_test)
    assert good["task"] == "classification" and good["metric"] == "macro_f1"
    assert good["train_real"] > 0.95
    assert good["ratio"] == pytest.approx(1.0, abs=0.05)
    assert bad["ratio"] < 0.7


def test_utility_regression_uses_r2_and_splits_real_when_no_test_set():
    real, fresh = threshold_frame(600, seed=13), threshold_frame(600, seed=14)
    noise = fresh.assign(amount=np.random.default_rng(1).normal(size=600))
    good = evaluation.utility(real, fresh, "amount", seed=0)
    bad = evaluation.utility(real, noise, "amount", seed=0)
    assert good["task"] == "regression" and good["metric"] == "r2"
    assert good["ratio"] == pytest.approx(1.0, abs=0.05)
    assert bad["ratio"] < 0.3


def test_utility_survives_a_single_synthetic_class():
    real = threshold_frame(200, seed=15)
    one_class = real.assign(label="high")
    result = evaluation.utility(real, one_class, "label", seed=0)
    assert 0.0 < result["train_synthetic"] < result["train_real"]


# --- privacy ----------------------------------------------------------------


def test_privacy_flags_copied_rows():
    real, holdout = mixed_frame(200, seed=16), mixed_frame(100, seed=17)
    copied = evaluation.privacy(real, real.copy(), seed=0, real_holdout=holdout)
    assert copied["exact_copies"] == pytest.approx(1.0)
    assert copied["dcr_synthetic_median"] == pytest.approx(0.0)
    assert copied["dcr_holdout_median"] > 0.1

    fresh = evaluation.privacy(real, mixed_frame(200, seed=18), seed=0)
    assert fresh["exact_copies"] == 0.0
    assert fresh["dcr_synthetic_median"] > 0.1


def test_exact_copy_share_counts_partial_copies():
    real = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, np.nan], "c": ["x", "y", "z", "w", None]})
    # Three copies (one with both values missing) and one row that differs in c only.
    synthetic = pd.DataFrame({"a": [1.0, 3.0, np.nan, 2.0], "c": ["x", "z", None, "x"]})
    result = evaluation.privacy(real, synthetic, kinds={"a": CONTINUOUS, "c": CATEGORICAL})
    assert result["exact_copies"] == pytest.approx(0.75)


# --- coverage ---------------------------------------------------------------


def test_coverage_lists_missing_categories_and_out_of_range_share():
    real = pd.DataFrame({"c": ["a", "b", "c", "a"], "v": [0.0, 10.0, 5.0, 2.0]})
    synthetic = pd.DataFrame({"c": ["a", "b", "b", "a"], "v": [5.0, 11.0, -1.0, 3.0]})
    result = evaluation.coverage(real, synthetic, kinds={"c": CATEGORICAL, "v": CONTINUOUS})
    assert result == {"missing_categories": {"c": ["c"]}, "out_of_range": {"v": 0.5}}


# --- everything -------------------------------------------------------------


def test_evaluate_round_trips_through_json():
    real, synthetic = mixed_frame(300, seed=19), mixed_frame(300, seed=20)
    report = evaluation.evaluate(real, synthetic, target="colour", seed=0)
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    assert set(report) >= {
        "quality",
        "column_shapes",
        "pair_trends",
        "detection_auc",
        "utility",
        "privacy",
        "coverage",
        "columns",
        "pairs",
    }
    assert report["utility"]["target"] == "colour"
    assert isinstance(report["pairs"][0]["columns"], list)
    assert evaluation.evaluate(real, synthetic, seed=0)["utility"] is None


def test_hand_written_ks_and_cramers_v_agree_with_scipy():
    from scipy import stats
    from scipy.stats.contingency import association

    from gen_models.evaluation.fidelity import cramers_v, ks_statistic

    rng = np.random.default_rng(0)
    for size_a, size_b in ((5, 7), (200, 90), (1000, 1000)):
        a = np.round(rng.normal(size=size_a), 1)  # ties, as real data have
        b = np.round(rng.normal(0.3, 1.2, size=size_b), 1)
        assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    for shape in ((2, 2), (3, 5), (10, 4)):
        table = rng.integers(1, 30, size=shape)
        assert cramers_v(table) == pytest.approx(association(table, method="cramer"))


def test_wide_tables_score_a_seeded_sample_of_pairs(monkeypatch):
    from gen_models.evaluation import fidelity

    monkeypatch.setattr(fidelity, "MAX_PAIRS", 20)
    real = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 12)), columns=[f"c{i}" for i in range(12)])
    report = evaluation.quality_score(real, real.copy())
    assert (report["pairs_total"], report["pairs_scored"]) == (66, 20)
    again = evaluation.quality_score(real, real.copy())
    assert [p["columns"] for p in again["pairs"]] == [p["columns"] for p in report["pairs"]]
    assert len({tuple(p["columns"]) for p in report["pairs"]}) == 20
