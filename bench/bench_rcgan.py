"""Measure what an RCGAN learned: label fidelity (train on synthetic, test on real) and its codes.

    python -m bench.bench_rcgan             # pretrained/rcgan_waves, temperatures, trace
    python -m bench.bench_rcgan --no-trace  # waves and the real temperatures
    python -m bench.bench_rcgan --no-trace --sets temperatures,weather_weeks --variants classic,matched

1. TSTR vs TRTR: the real sequences are split in two halves by sequence. A classifier trained on
   one real half and tested on the other (TRTR) shows how separable the labels are; the same
   classifier trained on as many generated sequences, balanced over the labels they were
   conditioned on, and tested on the same real half (TSTR) shows whether each label's samples
   look like that label. Features: the raw values plus FFT magnitudes normalised by their sum
   (the spectrum's shape tells a sine's one peak from a sawtooth's harmonics at any amplitude).
2. Codes: for each code, sweep linspace(-2, 2, 9) with the others held at 0 over many noise and
   label draws; measure each generated wave's frequency (dominant FFT bin, in cycles per
   sequence) and amplitude ((max - min) / 2, in data units), and report the Spearman
   correlation of the code with each, and which property each code controls most.
3. The same TSTR vs TRTR on real data: the bundled hourly `temperatures` (24 steps, Seattle vs
   San Francisco) with a freshly trained RCGAN at default settings; and on the UCR `trace` set
   (4 classes, 275 steps) with a freshly trained RCGAN, when its package is installed. Trace
   measured (200 steps, 328 s on a loaded 2-core CPU):
   TSTR 0.23 (chance 0.25) vs TRTR 0.73: a few minutes are far too little for 275-step series.
   Each real set is trained once per variant in VARIANTS: the classic RCGAN (the paper's
   defaults) and the settings chosen by the runs in the README for real series.
4. Beside TSTR, every real run prints the real-vs-generated AUC and |accuracy - 0.5| (the unit of
   TimeGAN and Diffusion-TS), the autocorrelation gap and the per-step mean and std gaps, and its
   training time as wall-clock and as the process's CPU time (one thread: the fair figure on a
   machine other jobs share).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

import gen_models
from gen_models.data.datasets import dataset_info, is_available
from gen_models.evaluation.sequences import sequence_quality

SWEEP = np.linspace(-2.0, 2.0, 9)
# RCGAN settings compared on the real sets: the paper's model as it is the default, and the choice for real
# series (README, "Real time series"): per-step moment matching, no per-step noise (variety from 8 codes),
# D shown the step-to-step changes.
VARIANTS: dict[str, dict] = {
    "classic": {},
    "matched": {"moment_weight": 30.0, "step_noise_std": 0.0, "code_dim": 8, "critic_sees_changes": True},
}


def sequence_values(model, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A frame in the model's layout -> (n, T, V) values of every value column, and (n,) labels (in key order)."""
    values, _ = model.encoder.series(frame)
    labels = model.encoder.series_labels(frame)
    return values, labels if labels is not None else np.array([None] * len(values))


def generated_balanced(model, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n generated sequences split evenly over the condition levels: (n, T) values, (n,) labels."""
    values, labels = [], []
    levels = model.condition_levels
    for i, level in enumerate(levels):
        frame = model.sample(n // len(levels), condition=level, seed=seed + i)
        v, _ = sequence_values(model, frame)
        values.append(v)
        labels += [level] * len(v)
    return np.concatenate(values), np.array(labels)


def tstr(model, data: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """Accuracy on the held-out real half of classifiers trained on the other real half (TRTR)
    and on as many balanced generated sequences (TSTR), their ratio, the real-vs-generated AUC and
    |accuracy - 0.5| (the unit of TimeGAN and Diffusion-TS), and the autocorrelation gap."""
    real, labels = sequence_values(model, data)
    fake, fake_labels = generated_balanced(model, len(real) // 2, seed)
    scores = sequence_quality(real, fake, labels, fake_labels, seed=seed)
    return {
        "tstr_accuracy": round(scores["tstr"]["train_synthetic"], 3),
        "trtr_accuracy": round(scores["tstr"]["train_real"], 3),
        "tstr_over_trtr": round(scores["tstr"]["ratio"], 3),
        "discriminative_auc": round(scores["discriminative_auc"], 3),
        "discriminative_accuracy_gap": round(scores["discriminative_gap"], 3),
        "autocorrelation_gap": round(scores["autocorrelation_gap"], 3),
        "step_mean_gap": round(scores["mean_gap"], 3),
        "step_std_gap": round(scores["std_gap"], 3),
    }


def wave_properties(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, T) -> frequency (dominant non-constant FFT bin = cycles per sequence) and amplitude."""
    spectrum = np.abs(np.fft.rfft(values - values.mean(axis=1, keepdims=True), axis=1))
    frequency = spectrum[:, 1:].argmax(axis=1) + 1.0
    amplitude = (values.max(axis=1) - values.min(axis=1)) / 2
    return frequency, amplitude


def code_sweeps(model, draws: int = 200, seed: int = 0) -> dict[str, float | str]:
    """Spearman correlation of each code with frequency and amplitude, over SWEEP x `draws` waves."""
    names = [code.name for code in model.latent_codes() if code.kind == "continuous"]
    figures: dict[str, float | str] = {}
    for name in names:
        codes, freqs, amps = [], [], []
        for value in SWEEP:
            fixed = {other: 0.0 for other in names}
            fixed[name] = float(value)
            # Same seed at every sweep value: the same noise and labels, only this code moves.
            values, _ = sequence_values(model, model.sample(draws, codes=fixed, seed=seed))
            frequency, amplitude = wave_properties(values[:, :, 0])
            codes += [value] * draws
            freqs.append(frequency)
            amps.append(amplitude)
        rho_f = float(spearmanr(codes, np.concatenate(freqs)).statistic)
        rho_a = float(spearmanr(codes, np.concatenate(amps)).statistic)
        figures[f"{name}_vs_frequency_spearman"] = round(rho_f, 3)
        figures[f"{name}_vs_amplitude_spearman"] = round(rho_a, 3)
        figures[f"{name}_controls"] = "frequency" if abs(rho_f) >= abs(rho_a) else "amplitude"
        # The sweep's mean property at each code value, to see that it moves smoothly.
        figures[f"{name}_mean_frequency_by_value"] = [round(float(f.mean()), 2) for f in freqs]
        figures[f"{name}_mean_amplitude_by_value"] = [round(float(a.mean()), 3) for a in amps]
    return figures


def measure(model, data: pd.DataFrame) -> dict:
    """The card's figures for a conditioned RCGAN on waves: TSTR/TRTR and what each code does."""
    figures: dict = {}
    if model.condition_column is not None:
        figures.update(tstr(model, data))
    figures.update(code_sweeps(model))
    return figures


def real_set_benchmark(name: str, seed: int = 0, **settings) -> dict:
    """Train an RCGAN on a real labelled sequence set and report TSTR vs TRTR and the training time.

    Time is given twice: wall-clock, and the process's CPU time (one thread), which is the fair
    figure on a machine that other jobs share.
    """
    data = gen_models.load_dataset(name)
    info = dataset_info(name)
    model = gen_models.create("rcgan", seed=seed, **settings)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = model.fit(data, condition=info.label, layout=info.layout)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    return {
        f"{name}_status": result.status,
        f"{name}_training_seconds": round(seconds, 1),
        f"{name}_training_cpu_seconds": round(cpu_seconds, 1),
        **{f"{name}_{k}": v for k, v in tstr(model, data, seed).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="pretrained/rcgan_waves")
    parser.add_argument("--no-real", action="store_true", help="skip training on the real sets")
    parser.add_argument("--no-trace", action="store_true", help="skip training on the trace set")
    # 200 steps of 275-step sequences took 328 s on the shared 2-core CPU: already past "a few minutes".
    parser.add_argument("--trace-steps", type=int, default=200, help="auto_steps for the trace run")
    parser.add_argument("--sets", default="temperatures", help="real labelled sequence sets, comma-separated")
    parser.add_argument("--variants", default="classic,matched", help=f"of {', '.join(VARIANTS)}, comma-separated")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = gen_models.load(args.model)
    data = gen_models.load_dataset("waves")
    for key, value in measure(model, data).items():
        print(f"{key}: {value}", flush=True)
    if not args.no_real:
        for name in args.sets.split(","):
            for variant in args.variants.split(","):
                for key, value in real_set_benchmark(name, **VARIANTS[variant]).items():
                    print(f"{variant} {key}: {value}", flush=True)
    if not args.no_trace:
        if not is_available("trace"):
            print("trace: not available (install tslearn)")
        else:
            for key, value in real_set_benchmark("trace", auto_steps=args.trace_steps, batch_size=50).items():
                print(f"{key}: {value}", flush=True)


if __name__ == "__main__":
    main()
