"""Image metrics on hand-made cases: matching, recognisability, diversity, and the digit classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gen_models
from gen_models.evaluation.images import best_matching_accuracy, diversity, fit_digit_classifier, recognisability


@pytest.fixture(scope="module")
def digits() -> pd.DataFrame:
    return gen_models.load_dataset("digits")


@pytest.fixture(scope="module")
def classifier(digits):
    return fit_digit_classifier(digits, seed=0)


def test_matching_finds_a_permutation():
    levels = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array(["b", "b", "c", "c", "a", "a"])  # every level is one class, renamed
    accuracy, mapping = best_matching_accuracy(levels, predicted)
    assert accuracy == 1.0
    assert mapping == {0: "b", 1: "c", 2: "a"}


def test_matching_is_one_to_one_and_counts_the_best_assignment():
    # Levels 0 and 1 both look mostly like class 7: only one of them may have it.
    levels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    predicted = np.array([7, 7, 7, 3, 7, 7, 7, 7])
    accuracy, mapping = best_matching_accuracy(levels, predicted)
    assert mapping == {0: 3, 1: 7}  # 1 + 4 agreeing beats 3 + 0
    assert accuracy == pytest.approx(5 / 8)


def test_matching_with_more_levels_than_classes_leaves_one_unmatched():
    accuracy, mapping = best_matching_accuracy(np.array([0, 1, 2]), np.array([5, 5, 6]))
    assert sorted(v for v in mapping.values() if v is not None) == [5, 6]
    assert list(mapping.values()).count(None) == 1
    assert accuracy == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        best_matching_accuracy(np.array([0, 1]), np.array([0]))


def test_classifier_reads_real_digits_and_ignores_the_label(digits, classifier):
    assert classifier.held_out_accuracy > 0.9
    assert list(classifier.classes_) == list(range(10))
    sample = digits.iloc[::9]
    assert (classifier.predict(sample) == sample["label"].to_numpy()).mean() > 0.9
    without_label = sample.drop(columns="label")
    np.testing.assert_allclose(classifier.predict_proba(without_label), classifier.predict_proba(sample))
    assert classifier.predict_proba(without_label).shape == (len(sample), 10)


def test_recognisability_of_real_digits_vs_blank_and_noise(digits, classifier):
    threes = digits[digits["label"] == 3].drop(columns="label")
    report = recognisability(classifier, threes)
    assert report["class_share"][3] > 0.9
    assert sum(report["class_share"].values()) == pytest.approx(1.0)
    assert report["mean_confidence"] > 0.8
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.uniform(0, 16, size=(200, 64)), columns=threes.columns)
    assert recognisability(classifier, noise)["mean_confidence"] < report["mean_confidence"]


def test_diversity_is_zero_for_copies_and_about_one_for_real_data(digits):
    pixels = digits.drop(columns="label")
    copies = pd.DataFrame(np.repeat(pixels.iloc[[0]].to_numpy(), 50, axis=0), columns=pixels.columns)
    assert diversity(copies, pixels) == pytest.approx(0.0, abs=1e-6)
    halves = diversity(pixels.iloc[::2], pixels.iloc[1::2])
    assert 0.9 < halves < 1.1
    one_digit = pixels[digits["label"] == 0]
    assert diversity(one_digit, pixels) < halves  # a single class varies less than all ten
    # Without a reference: the plain mean distance, in units of the maximum pixel value.
    two = pd.DataFrame([[0.0, 0.0], [3.0, 4.0]], columns=["a", "b"])
    assert diversity(two, label=None) == pytest.approx(5.0 / 4.0)
