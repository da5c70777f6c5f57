"""What the adversarial autoencoder's and the BiGAN's codes measurably do, on labelled digits.

    python -m bench.bench_aae                       # the committed aae_mnist, aae_mnist_supervised, bigan_digits
    python -m bench.bench_aae pretrained/aae_mnist  # any saved aae / bigan model trained on digits

`measure(model, data)` is also what `scripts/make_pretrained.py` calls to put figures on the
model cards. A digit classifier trained on the real digits (`gen_models.evaluation.images`) judges
every generated image. Figures:

- unsupervised AAE: `code_knn_accuracy`, a 5-nearest-neighbour classifier on the codes of real
  digits (80/20 split): high when digits of one kind land together on the code plane;
  `prior_confidence` and `prior_class_share`: how confidently decoded *prior samples* read as
  digits, and as which (an even share = the whole prior is covered by all ten digits);
- supervised AAE (fit with `condition="label"`): `style_sweep_accuracy`, the share of a 7x7 grid
  of style codes over ±2 prior std, decoded with each label, that is read as that label (the
  digit must hold while the style moves); `label_change_accuracy`, the same 200 style codes
  decoded with each of the ten labels, read as the requested label (the digit must follow the
  label); `style_code_knn_accuracy`, the kNN figure on style codes: *low* is good here (the
  label's information has left the code);
- BiGAN: `reconstruction_label_agreement`, the share of real digits x whose G(E(x)) reads as
  the same digit; `code_knn_accuracy` on E(x); `prior_confidence` / `prior_class_share`.
Every figure comes with `classifier_held_out_accuracy`, the judge's own accuracy on real digits.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

import gen_models
from gen_models.evaluation.images import DigitClassifier, fit_digit_classifier, recognisability

ROOT = Path(__file__).resolve().parents[1]

COMMITTED = {"aae_mnist": "mnist", "aae_mnist_supervised": "mnist", "bigan_digits": "digits"}


def knn_accuracy(codes: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Accuracy of a 5-NN classifier on codes (n, code_dim) -> labels (n,), stratified 80/20 split."""
    train_x, test_x, train_y, test_y = train_test_split(
        codes, labels, test_size=0.2, random_state=seed, stratify=labels
    )
    return float(KNeighborsClassifier(n_neighbors=5).fit(train_x, train_y).score(test_x, test_y))


def prior_figures(model: Any, clf: DigitClassifier, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """How confidently n decoded prior samples read as digits, and the share read as each digit."""
    found = recognisability(clf, model.sample(n, seed=seed))
    return {
        "prior_confidence": round(found["mean_confidence"], 3),
        "prior_class_share": {str(k): round(v, 3) for k, v in found["class_share"].items()},
    }


def style_sweep_accuracy(model: Any, clf: DigitClassifier, steps: int = 7) -> float:
    """Share of (label, style grid point) pairs read as the label; the grid spans ±2 std of z0, z1."""
    codes = model.latent_codes()
    hits = total = 0
    for level in model.condition_levels:
        images = []
        for a in np.linspace(-2 * codes[0].std, 2 * codes[0].std, steps):
            for b in np.linspace(-2 * codes[1].std, 2 * codes[1].std, steps) if len(codes) > 1 else [None]:
                fixed = {codes[0].name: a} if b is None else {codes[0].name: a, codes[1].name: b}
                images.append(model.sample(1, codes=fixed, condition=level, seed=0))
        predicted = clf.predict(pd.concat(images, ignore_index=True))
        hits += int((predicted == level).sum())
        total += len(predicted)
    return hits / total


def label_change_accuracy(model: Any, clf: DigitClassifier, n: int = 200, seed: int = 0) -> float:
    """The same n style codes (one seed) decoded with every label: share read as the requested label."""
    hits = 0
    for level in model.condition_levels:
        # The seed fixes the style codes; the condition is given, so it draws no randomness.
        hits += int((clf.predict(model.sample(n, condition=level, seed=seed)) == level).sum())
    return hits / (n * len(model.condition_levels))


def measure(model: Any, data: pd.DataFrame) -> dict[str, Any]:
    """Figures for an `aae` or `bigan` model trained on labelled digits (see the module docstring)."""
    label = model.layout.label or "label"
    clf = fit_digit_classifier(data, label=label, seed=0)
    labels = data[label].to_numpy()
    figures: dict[str, Any] = {"classifier_held_out_accuracy": round(clf.held_out_accuracy, 3)}
    codes = model.encode(data)
    if model.name == "aae" and model.condition_column is not None:
        figures["style_sweep_accuracy"] = round(style_sweep_accuracy(model, clf), 3)
        figures["label_change_accuracy"] = round(label_change_accuracy(model, clf), 3)
        figures["style_code_knn_accuracy"] = round(knn_accuracy(codes, labels), 3)
        figures["sample_confidence"] = round(recognisability(clf, model.sample(1000, seed=0))["mean_confidence"], 3)
        return figures
    figures["code_knn_accuracy"] = round(knn_accuracy(codes, labels), 3)
    if model.name == "bigan":
        rebuilt = model.reconstruct(data, seed=0)
        figures["reconstruction_label_agreement"] = round(float((clf.predict(rebuilt) == labels).mean()), 3)
    figures.update(prior_figures(model, clf))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="saved model directories (default: the committed ones)")
    parser.add_argument("--dataset", help="bundled data set the models were trained on (default: from the card)")
    args = parser.parse_args()
    paths = [Path(p) for p in args.paths] or [ROOT / "pretrained" / name for name in COMMITTED]
    for path in paths:
        card_path = path / "card.json"
        dataset = args.dataset or (
            json.loads(card_path.read_text())["data"] if card_path.is_file() else COMMITTED.get(path.name, "mnist")
        )
        model = gen_models.load(path)
        figures = measure(model, gen_models.load_dataset(dataset))
        print(f"{path.name} ({model.name} on {dataset}): {json.dumps(figures)}", flush=True)


if __name__ == "__main__":
    main()
