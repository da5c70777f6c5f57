"""Measuring generated digit images: is it a digit, which one, and how varied are they?

Used by the benches that put figures on model cards (InfoGAN's categorical code, AAE's
label code). Everything works on image frames as they come out of `model.sample(n)`: one
pixel column per pixel (plus, optionally, a label column), in the training data's pixel range.

- `fit_digit_classifier(data)`: a small classifier trained on real labelled digits;
- `best_matching_accuracy(levels, predicted)`: how well a code's levels line up with classes
  under the best one-to-one matching (the InfoGAN paper's figure for its categorical code);
- `recognisability(clf, images)`: how confidently the classifier reads the images, and as what;
- `diversity(images, reference)`: mean pairwise distance, relative to real images.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline


class DigitClassifier:
    """A fitted digit classifier that reads pixel frames in the data's own range.

    Pixels are divided by the maximum pixel value seen in training (255 for MNIST, 16 for the
    8x8 digits), so generated images decoded back to that range can be classified as they are.
    `held_out_accuracy` is its accuracy on the 20% of the data it did not train on.
    """

    def __init__(self, model: Pipeline, pixel_columns: list[str], scale: float, held_out_accuracy: float):
        self.model = model
        self.pixel_columns = pixel_columns
        self.scale = scale
        self.held_out_accuracy = held_out_accuracy

    @property
    def classes_(self) -> np.ndarray:
        return self.model.classes_

    def _pixels(self, images: pd.DataFrame) -> np.ndarray:
        """(n, H*W) floats in about [0, 1]; a label column, if present, is ignored."""
        return images[self.pixel_columns].to_numpy(dtype=np.float64) / self.scale

    def predict(self, images: pd.DataFrame) -> np.ndarray:
        """(n,) predicted labels."""
        return self.model.predict(self._pixels(images))

    def predict_proba(self, images: pd.DataFrame) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in the order of `classes_`."""
        return self.model.predict_proba(self._pixels(images))


def fit_digit_classifier(data: pd.DataFrame, label: str = "label", seed: int = 0) -> DigitClassifier:
    """Train PCA (50 components) + a one-hidden-layer MLP on real labelled images.

    All columns but `label` are pixels. It trains on 80% of the rows (stratified, drawn with
    `seed`) and reports its accuracy on the other 20%: about 94% on the bundled 5,000 MNIST
    digits and 97% on the 8x8 digits, in a few CPU seconds.
    """
    pixel_columns = [str(c) for c in data.columns if c != label]
    scale = float(data[pixel_columns].to_numpy().max()) or 1.0
    x = data[pixel_columns].to_numpy(dtype=np.float64) / scale
    y = data[label].to_numpy()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    # Small and regularised: it only has to tell digits apart, and must not take long. PCA first
    # makes the MLP ~10x faster than on raw pixels at the same accuracy.
    components = min(50, x_train.shape[1], x_train.shape[0])
    model = make_pipeline(
        PCA(components, random_state=seed),
        MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-2, max_iter=200, random_state=seed),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 200 epochs are plenty; it may not settle exactly
        model.fit(x_train, y_train)
    accuracy = float((model.predict(x_test) == y_test).mean())
    return DigitClassifier(model, pixel_columns, scale, accuracy)


def best_matching_accuracy(levels: np.ndarray, predicted: np.ndarray) -> tuple[float, dict[Any, Any]]:
    """Accuracy of the best one-to-one matching of code levels to predicted classes.

    levels, predicted: (n,) the code level each image was generated with, and the class a
    classifier reads in it. The matching maximises the number of agreeing images
    (Hungarian algorithm on the confusion matrix), so a code is not penalised for numbering its
    levels differently from the labels. Returns (accuracy, {level: matched class}); levels left
    without a class (more levels than classes) map to None and count as wrong.
    """
    levels, predicted = np.asarray(levels), np.asarray(predicted)
    if levels.shape != predicted.shape or levels.ndim != 1 or len(levels) == 0:
        raise ValueError("levels and predicted must be 1-D arrays of the same, non-zero length")
    level_values, level_index = np.unique(levels, return_inverse=True)
    class_values, class_index = np.unique(predicted, return_inverse=True)
    confusion = np.zeros((len(level_values), len(class_values)), dtype=np.int64)
    np.add.at(confusion, (level_index, class_index), 1)
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    mapping: dict[Any, Any] = {_plain(level): None for level in level_values}
    for r, c in zip(rows, cols, strict=True):
        mapping[_plain(level_values[r])] = _plain(class_values[c])
    return float(confusion[rows, cols].sum() / len(levels)), mapping


def recognisability(clf: DigitClassifier, images_df: pd.DataFrame) -> dict[str, Any]:
    """How confidently `clf` reads the images, and the share of images read as each class.

    Returns {"mean_confidence": mean of the top class probability (1 = sure every time),
    "class_share": {class: share of images}} with every class listed (0 when never predicted).
    """
    proba = clf.predict_proba(images_df)
    predicted = clf.classes_[proba.argmax(axis=1)]
    share = {_plain(k): float((predicted == k).mean()) for k in clf.classes_}
    return {"mean_confidence": float(proba.max(axis=1).mean()), "class_share": share}


def diversity(
    images_df: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    label: str | None = "label",
    n: int = 500,
    seed: int = 0,
) -> float:
    """Mean pairwise Euclidean distance between images, relative to real ones when given.

    Pixels are scaled by the maximum pixel value (of `reference` when given, else of the images)
    and at most `n` images of each frame are used (drawn with `seed`). With a reference, the
    result is the ratio to the reference's own mean pairwise distance: about 1 for samples as
    varied as the data, near 0 for mode collapse (every image alike).
    """
    pixels = [c for c in images_df.columns if c != label]
    scale = float((reference if reference is not None else images_df)[pixels].to_numpy().max()) or 1.0
    spread = _mean_pairwise_distance(images_df[pixels].to_numpy(dtype=np.float64) / scale, n, seed)
    if reference is None:
        return spread
    real = _mean_pairwise_distance(reference[pixels].to_numpy(dtype=np.float64) / scale, n, seed)
    return spread / real if real > 0 else float("nan")


def _mean_pairwise_distance(x: np.ndarray, n: int, seed: int) -> float:
    """Mean Euclidean distance over distinct pairs of rows of x (n_items, n_pixels), on a subsample."""
    if len(x) < 2:
        raise ValueError("diversity needs at least 2 images")
    if len(x) > n:
        x = x[np.random.default_rng(seed).choice(len(x), n, replace=False)]
    squared = (x**2).sum(axis=1)
    d2 = np.clip(squared[:, None] + squared[None, :] - 2 * x @ x.T, 0, None)
    upper = np.triu_indices(len(x), k=1)
    return float(np.sqrt(d2[upper]).mean())


def _plain(value: Any) -> Any:
    """numpy scalars -> Python ones, so mappings and shares go straight into JSON."""
    return value.item() if isinstance(value, np.generic) else value
