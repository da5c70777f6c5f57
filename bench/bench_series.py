"""Sequence models side by side on real and demo series: can a classifier tell generated series from real ones?

    python -m bench.bench_series [--sets temperatures,weather_weeks,waves] [--models series_ar,rcgan,rcgan_matched]

Each model is trained once per set at its defaults (seed 0, one torch thread, so that CPU time is a fair figure
on a shared machine; "rcgan_matched" is the RCGAN with the settings bench_rcgan calls "matched"), then as many
series are generated as the set has, balanced over the labels. Reported per run:

- TSTR / TRTR: a logistic-regression classifier of the label trained on generated series and tested on a
  held-out real half, beside one trained on the other real half (bench_rcgan's `tstr`);
- AUC and |acc - 0.5|: a logistic regression on the values and the spectrum's shape telling generated from
  real series, 5-fold (`evaluation.sequences`; 0.5 and 0 = cannot tell);
- GRU |acc - 0.5|: TimeGAN's post-hoc discriminative score, the unit Diffusion-TS reports (0.006 on sines,
  0.122 on energy): a 2-layer GRU classifier (hidden = half the channels, at least 4, as TimeGAN's
  code does) trained on 80% of real + generated series for 2,000 steps of 128 and tested on the other 20%;
  values min-max scaled per channel on the real series; the mean of 3 seeds;
- bands: per channel and step, how much of the real mean +- 1 std band the generated band covers; the share
  of (step, channel) pairs covered at least half, and the smallest cover;
- training time, wall-clock and CPU.
Targets (issue #18): temperatures TSTR/TRTR >= 0.95 and AUC <= 0.75; waves TSTR >= 0.95; a multichannel set's
bands overlap and AUC <= 0.8; at most 5 minutes a model on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

import gen_models
from bench.bench_rcgan import VARIANTS, generated_balanced, sequence_values, tstr
from gen_models.data.datasets import dataset_info

MODELS: dict[str, tuple[str, dict]] = {
    "series_ar": ("series_ar", {}),
    "rcgan": ("rcgan", VARIANTS["classic"]),
    "rcgan_matched": ("rcgan", VARIANTS["matched"]),
}
GRU_STEPS = 2000
GRU_BATCH = 128
GRU_SEEDS = (0, 1, 2)


class _GRUClassifier(nn.Module):
    """(n, T, F) series -> (n,) logits of 'real'; TimeGAN's post-hoc discriminator."""

    def __init__(self, features: int):
        super().__init__()
        hidden = max(4, features // 2)
        self.gru = nn.GRU(features, hidden, num_layers=2, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, state = self.gru(x)
        return self.out(state[-1]).squeeze(1)


def gru_discriminative_gap(real: np.ndarray, fake: np.ndarray, seed: int) -> float:
    """|test accuracy - 0.5| of a GRU classifier of real (n, T, F) vs generated (m, T, F) series."""
    low, high = real.min(axis=(0, 1)), real.max(axis=(0, 1))
    span = np.where(high > low, high - low, 1.0)
    x = np.concatenate([real, fake]).astype(np.float64)
    x = torch.tensor((x - low) / span, dtype=torch.float32)
    y = torch.cat([torch.ones(len(real)), torch.zeros(len(fake))])
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=generator)
    cut = int(0.8 * len(x))
    train, test = order[:cut], order[cut:]
    torch.manual_seed(seed)
    net = _GRUClassifier(x.shape[2])
    optimiser = torch.optim.Adam(net.parameters())
    loss = nn.BCEWithLogitsLoss()
    for _ in range(GRU_STEPS):
        batch = train[torch.randint(len(train), (min(GRU_BATCH, len(train)),), generator=generator)]
        optimiser.zero_grad()
        loss(net(x[batch]), y[batch]).backward()
        optimiser.step()
    with torch.no_grad():
        accuracy = ((net(x[test]) > 0).float() == y[test]).float().mean().item()
    return abs(accuracy - 0.5)


def band_cover(real: np.ndarray, fake: np.ndarray) -> tuple[float, float]:
    """(share of (step, channel) pairs whose real mean +- std band the generated one covers at least half,
    smallest cover) for (n, T, F) and (m, T, F) series."""
    r_low, r_high = real.mean(axis=0) - real.std(axis=0), real.mean(axis=0) + real.std(axis=0)
    f_low, f_high = fake.mean(axis=0) - fake.std(axis=0), fake.mean(axis=0) + fake.std(axis=0)
    overlap = np.clip(np.minimum(r_high, f_high) - np.maximum(r_low, f_low), 0, None)
    cover = overlap / np.maximum(r_high - r_low, 1e-12)
    return float((cover >= 0.5).mean()), float(cover.min())


def measure(model: gen_models.GenerativeModel, data: pd.DataFrame) -> dict:
    """The pretrained card's figures for a labelled sequence model: bench_rcgan's TSTR/TRTR, AUC and gaps."""
    return tstr(model, data)


def run(set_name: str, model_name: str, seed: int = 0) -> dict[str, float | str]:
    data = gen_models.load_dataset(set_name)
    info = dataset_info(set_name)
    architecture, settings = MODELS[model_name]
    model = gen_models.create(architecture, seed=seed, **settings)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = model.fit(data, condition=info.label, layout=info.layout)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    figures: dict[str, float | str] = {"status": result.status, "wall_s": round(seconds, 1), "cpu_s": round(cpu, 1)}
    figures.update(tstr(model, data, seed))
    real, _ = sequence_values(model, data)
    fake, _ = generated_balanced(model, len(real), seed + 100)
    figures["gru_gap"] = round(float(np.mean([gru_discriminative_gap(real, fake, s) for s in GRU_SEEDS])), 3)
    share, smallest = band_cover(real, fake)
    figures["bands_half_covered"] = round(share, 3)
    figures["bands_smallest_cover"] = round(smallest, 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="temperatures,weather_weeks,waves")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for set_name in args.sets.split(","):
        for model_name in args.models.split(","):
            figures = run(set_name, model_name, args.seed)
            print(set_name, model_name, figures, flush=True)
            rows.append({"set": set_name, "model": model_name, **figures})
    columns = [
        "set",
        "model",
        "tstr_over_trtr",
        "tstr_accuracy",
        "trtr_accuracy",
        "discriminative_auc",
        "discriminative_accuracy_gap",
        "gru_gap",
        "autocorrelation_gap",
        "bands_half_covered",
        "bands_smallest_cover",
        "cpu_s",
        "wall_s",
    ]
    print(pd.DataFrame(rows)[columns].to_string(index=False))


if __name__ == "__main__":
    main()
