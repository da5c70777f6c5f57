"""Measure what an InfoGAN's codes do on digit images: the figures on the `infogan_mnist` card.

    python -m bench.bench_infogan                     # the committed pretrained/infogan_mnist
    python -m bench.bench_infogan path/to/model       # any InfoGAN saved on digit images
    python -m bench.bench_infogan --epoch-time        # seconds per MNIST epoch: threads x c1_tilt

1. Categorical code c1: hold c1 at each level (200 samples each; noise and continuous codes
   drawn), read every sample with a digit classifier trained on the real labelled digits, and
   report the accuracy of the best one-to-one matching of levels to digits (the InfoGAN paper's
   figure: ~95% on full MNIST) and that matching.
2. Continuous codes c2, c3, ...: for each of 100 draws of everything else, sweep the code over
   linspace(-2, 2, 9) and measure per image its width (ink-weighted spread of columns), slant
   (slope of ink x-position against height; > 0 leans right) and ink (mean pixel intensity).
   Reported per code and property: Spearman correlation of code value vs property (averaged over
   draws; ±1 = always monotone) and roughness (mean absolute second difference along the sweep
   over the sweep's range; 0 = a straight line, ~2 = a zigzag). Each code "controls" the property
   with the largest |correlation|.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

import gen_models
from gen_models.evaluation.images import best_matching_accuracy, diversity, fit_digit_classifier

PER_LEVEL = 200
SWEEP = np.linspace(-2.0, 2.0, 9)
SWEEP_DRAWS = 100
PROPERTIES = ("width", "slant", "ink")


def style_properties(ink: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image style measures of ink images (n, H, W) with values in [0, 1] -> {name: (n,)}.

    width: ink-weighted standard deviation of column positions, in pixels;
    slant: ink-weighted regression slope of column position on (upward) row position: how many
        pixels the stroke moves right per pixel up (> 0 leans right, as in italics);
    ink: mean intensity (thicker or bigger strokes have more).
    """
    n, height, width = ink.shape
    mass = ink.sum(axis=(1, 2)) + 1e-8
    rows, cols = np.meshgrid(np.arange(height, dtype=float), np.arange(width, dtype=float), indexing="ij")
    up = height - 1 - rows  # row position measured upwards, so a right lean is a positive slope
    mean_x = (ink * cols).sum(axis=(1, 2)) / mass
    mean_y = (ink * up).sum(axis=(1, 2)) / mass
    dx = cols[None] - mean_x[:, None, None]
    dy = up[None] - mean_y[:, None, None]
    var_x = (ink * dx**2).sum(axis=(1, 2)) / mass
    var_y = (ink * dy**2).sum(axis=(1, 2)) / mass + 1e-8
    cov = (ink * dx * dy).sum(axis=(1, 2)) / mass
    return {"width": np.sqrt(var_x), "slant": cov / var_y, "ink": ink.mean(axis=(1, 2))}


def _ink(model: Any, encoded: np.ndarray) -> np.ndarray:
    """Encoded images (n, H*W) in [-1, 1] -> ink (n, H, W) in [0, 1]."""
    height, width = model.encoder.shape
    return ((np.clip(encoded, -1, 1) + 1) / 2).reshape(len(encoded), height, width)


def measure_categorical(model: Any, classifier: Any, per_level: int = PER_LEVEL, seed: int = 0) -> dict[str, Any]:
    """c1 held at each level -> classified digits -> best one-to-one matching accuracy and mapping."""
    code = next(c for c in model.latent_codes() if c.kind == "categorical")
    levels, predicted, images = [], [], []
    for i, level in enumerate(code.levels):
        frame = model.sample(per_level, codes={code.name: level}, seed=seed + i)
        predicted.append(classifier.predict(frame))
        levels.append(np.full(per_level, level))
        images.append(frame)
    accuracy, mapping = best_matching_accuracy(np.concatenate(levels), np.concatenate(predicted))
    return {"accuracy": accuracy, "mapping": mapping, "images": pd.concat(images, ignore_index=True)}


def measure_continuous(model: Any, name: str, draws: int = SWEEP_DRAWS, seed: int = 0) -> dict[str, dict[str, float]]:
    """Sweep one continuous code over SWEEP for `draws` draws of the rest -> {property: figures}.

    The base class draws the other codes and the noise from the seed without using up random
    numbers for a fixed code, so one seed gives the same rest for every value of the swept code.
    """
    steps = []
    for value in SWEEP:
        images = model.sample_encoded(draws, codes={name: value}, seed=seed).numpy()
        properties = style_properties(_ink(model, images))
        steps.append(np.stack([properties[prop] for prop in PROPERTIES]))
    values = np.stack(steps, axis=-1)  # (n_properties, draws, n_sweep)
    figures: dict[str, dict[str, float]] = {}
    for p, prop in enumerate(PROPERTIES):
        curves = values[p]
        rhos = [spearmanr(SWEEP, curve).statistic for curve in curves if np.ptp(curve) > 0]
        span = np.ptp(curves, axis=1)
        rough = np.abs(np.diff(curves, n=2, axis=1)).mean(axis=1) / np.where(span > 0, span, np.nan)
        figures[prop] = {
            "spearman": float(np.mean(rhos)) if rhos else 0.0,
            "roughness": float(np.nanmean(rough)) if np.isfinite(rough).any() else 0.0,
            "change": float(np.mean(curves[:, -1] - curves[:, 0])),  # from code -2 to +2, in the property's units
        }
    return figures


def measure(model: Any, data: pd.DataFrame) -> dict[str, Any]:
    """Figures for an InfoGAN trained on labelled digit images `data` (labels used only here)."""
    label = model.layout.label or "label"
    classifier = fit_digit_classifier(data, label=label)
    categorical = measure_categorical(model, classifier)
    figures: dict[str, Any] = {
        "digit_classifier_held_out_accuracy": round(classifier.held_out_accuracy, 3),
        "c1_matching_accuracy": round(categorical["accuracy"], 3),
        "c1_level_to_digit": ", ".join(f"{k}->{v}" for k, v in categorical["mapping"].items()),
        "diversity_vs_real": round(diversity(categorical["images"], data.drop(columns=[label])), 3),
    }
    for code in model.latent_codes():
        if code.kind != "continuous" or code.role != "code":
            continue
        sweep = measure_continuous(model, code.name)
        for prop, numbers in sweep.items():
            figures[f"{code.name}_{prop}_spearman"] = round(numbers["spearman"], 3)
            figures[f"{code.name}_{prop}_roughness"] = round(numbers["roughness"], 3)
            figures[f"{code.name}_{prop}_change"] = round(numbers["change"], 3)
        strongest = max(sweep, key=lambda prop: abs(sweep[prop]["spearman"]))
        figures[f"{code.name}_controls"] = f"{strongest} (Spearman {sweep[strongest]['spearman']:+.2f})"
    return figures


def epoch_times(settings: dict[str, Any], epochs: int = 3) -> None:
    """Print seconds per MNIST-5k epoch (the mean after the first) for 1 and 2 torch threads, tilt off and on.

    `settings`: the InfoGAN settings of the pretrained recipe (nets, batch size). Run on a quiet machine.
    """
    import time

    import torch

    from gen_models.data.datasets import dataset_info

    data = gen_models.load_dataset("mnist")
    layout = dataset_info("mnist").layout
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for tilt in (0.0, 20.0):
            model = gen_models.create("infogan", **{**settings, "epochs": epochs, "c1_tilt": tilt})
            stamps: list[float] = []
            model.fit(data, layout=layout, on_epoch=lambda _, stamps=stamps: stamps.append(time.perf_counter()))
            per_epoch = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
            print(f"{threads} thread(s), c1_tilt {tilt:g}: {per_epoch:.1f} s an epoch")


def main() -> None:
    if sys.argv[1:] == ["--epoch-time"]:
        epoch_times({"batch_size": 64, "conv_channels": 32, "fc_width": 128, "seed": 0})
        return
    default = Path(__file__).resolve().parents[1] / "pretrained" / "infogan_mnist"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    model = gen_models.load(path)
    data = gen_models.load_dataset("mnist" if model.encoder.shape == (28, 28) else "digits")
    for name, value in measure(model, data).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
