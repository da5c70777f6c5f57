"""Measure discovered directions on every pretrained model: the figures in the README and the model cards.

    python -m bench.bench_directions                       # every model in pretrained/, all three methods
    python -m bench.bench_directions pretrained/vae_penguins --method regression
    python -m bench.bench_directions --write-cards         # the default method, into each MODEL_CARD.md

For each model and method (`gen_models.latent.directions`: regression, pca, sefa where the generator
starts with a linear layer), find 6 directions, then for each direction:
- its label, from a step from -2 to +2 on ITEMS items (the same draws at both ends);
- monotonicity: for each column the label names, the Spearman correlation between the direction's value
  over GRID (9 values from -2 to +2, ITEMS items each, the same draws at every value) and the column's
  median (a level's share for a categorical column, a region's mean pixel for images, a part's mean or
  amplitude for sequences), signed so that +1 means "moves the way the label says, at every step";
- size: how far the labelled columns move from -2 to +2, in units of their item-to-item spread;
- off-label: how far every other column moves, as a fraction of the labelled columns' move (0 = only
  the labelled columns move; 1 = everything moves as much).
Then per method the means over every direction of every model, and the seconds to find a model's directions.
With --write-cards, each model's figures for the default method also go into its MODEL_CARD.md
(`card_section`, which scripts/make_pretrained.py's cards use too), between CARD_START and CARD_END.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

import gen_models
from gen_models.errors import ModelError
from gen_models.latent.directions import (
    DEFAULT_METHOD,
    METHODS,
    MIN_SIZE,
    find_directions,
    item_values,
    moved_items,
    named_columns,
    step_effects,
    summary,
)

GRID = np.linspace(-2.0, 2.0, 9)
ITEMS = 400
SEED = 11  # the measuring draws: not the seeds the search and the labels used
# A card's directions section sits between these, so a rerun replaces it rather than adding another.
CARD_START = "<!-- directions -->"
CARD_END = "<!-- /directions -->"
# What a card says is measured for a labelled effect, and what the other effects are, per layout.
MEASURED = {
    "table": ("each labelled column's median (a level's share for a categorical column)", "columns"),
    "images": ("each labelled region's mean pixel", "regions"),
    "sequences": ("each labelled part of the series' mean or amplitude", "parts"),
}


def measure(model: gen_models.GenerativeModel, method: str) -> tuple[list[dict], float]:
    """One row per direction (see the module docstring) and the seconds finding them took."""
    start = time.perf_counter()
    directions = find_directions(model, method=method)
    seconds = time.perf_counter() - start
    rows = []
    for direction in directions.items:
        effects, sizes = step_effects(model, directions, direction.name, seed=SEED, n=ITEMS)
        named = named_columns(sizes)
        keys = {key: _summary_key(key, effects[key]) for key in named}
        along = pd.DataFrame(
            [
                summary(model, item_values(model, *moved_items(model, directions, direction.name, v, ITEMS, SEED)))
                for v in GRID
            ]
        )
        agreement = []
        for key, column in keys.items():
            sign = 1.0 if isinstance(effects[key], dict) or effects[key] > 0 else -1.0
            rho = spearmanr(GRID, along[column]).statistic
            agreement.append(sign * (0.0 if np.isnan(rho) else rho))
        labelled = np.mean([sizes[key] for key in named]) if named else 0.0
        others = [size for key, size in sizes.items() if key not in named]
        rows.append(
            {
                "direction": direction.name,
                "label": direction.label,
                "monotonicity": float(np.mean(agreement)) if agreement else float("nan"),
                "size": float(labelled),
                "off_label": float(np.mean(others) / labelled) if others and labelled > 0 else float("nan"),
            }
        )
    return rows, seconds


def _summary_key(key: str, effect: object) -> str:
    """The `summary` entry a labelled effect is read from: a categorical column's grown level, else itself."""
    return f"{key}={effect['to']}" if isinstance(effect, dict) else key


def card_section(rows: list[dict], kind: str) -> str:
    """`measure`'s rows for the default method as a model card's Markdown section, markers included."""
    measured, others = MEASURED[kind]
    lines = [
        CARD_START,
        "## Directions found in this model",
        "",
        f"`python -m bench.bench_directions --write-cards` sets each direction (`find_directions`' default, "
        f"{DEFAULT_METHOD}) to {len(GRID)} values from {GRID[0]:g} to {GRID[-1]:+g}, {ITEMS} items at each with "
        f"the same draws: monotonicity is the Spearman correlation of {measured} with that value (+1: the way "
        f"the label says at every step), off-label movement how far the other {others} move over that range, "
        f"as a fraction of the labelled ones' move (0: only they move).",
        "",
        "| direction | label | monotonicity | off-label movement |",
        "|---|---|---|---|",
        *[
            f"| {row['direction']} | {row['label'].replace('|', '/')} | {_figure(row['monotonicity'])} | "
            f"{_figure(row['off_label'])} |"
            for row in rows
        ],
    ]
    if any(np.isnan(row["monotonicity"]) for row in rows):
        # The label comes from its own draws (`find_directions`); a change just over the floor there can fall
        # under it on these, and then nothing is labelled here to measure.
        lines += [
            "",
            f"–: on these draws nothing moves by {MIN_SIZE:g} item-to-item spreads, so there is nothing "
            "labelled to measure.",
        ]
    lines.append(CARD_END)
    return "\n".join(lines)


def _figure(value: float) -> str:
    """Two decimals; a dash where there is no figure (a direction whose label names nothing)."""
    return "–" if np.isnan(value) else f"{value:.2f}"


def with_card_section(text: str, section: str) -> str:
    """A card's text with its directions section replaced by `section`, or `section` added at the end."""
    start, end = text.find(CARD_START), text.find(CARD_END)
    if start != -1 and end > start:
        return text[:start] + section + text[end + len(CARD_END) :]
    return text.rstrip("\n") + "\n\n" + section + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model directories (default: every one in pretrained/)")
    parser.add_argument("--method", choices=METHODS, action="append", help="methods to measure (default: all)")
    parser.add_argument(
        "--write-cards",
        action="store_true",
        help=f"measure only the default method ({DEFAULT_METHOD}) and write it into each model's MODEL_CARD.md",
    )
    args = parser.parse_args()
    if args.write_cards and args.method and args.method != [DEFAULT_METHOD]:
        parser.error(f"--write-cards measures the default method only ({DEFAULT_METHOD}), the one models use")
    torch.set_num_threads(1)  # small batches: threads only fight over a shared machine
    paths = [Path(p) for p in args.models] or sorted(p for p in Path("pretrained").iterdir() if p.is_dir())
    methods = [DEFAULT_METHOD] if args.write_cards else args.method or list(METHODS)
    every = []
    for path in paths:
        model = gen_models.load(path)
        for method in methods:
            try:
                rows, seconds = measure(model, method)
            except ModelError as err:  # sefa on a generator without a linear first layer
                print(f"\n{path.name} · {method}: not available ({err})")
                continue
            print(f"\n{path.name} · {method} · found in {seconds:.2f} s")
            print(f"{'dir':4} {'monotone':>8} {'size':>6} {'off-label':>9}  label")
            for row in rows:
                print(
                    f"{row['direction']:4} {row['monotonicity']:8.2f} {row['size']:6.2f} {row['off_label']:9.2f}  "
                    f"{row['label']}"
                )
                every.append({"model": path.name, "method": method, "seconds": seconds, **row})
            if args.write_cards:
                card = path / "MODEL_CARD.md"
                text = card.read_text(encoding="utf-8") if card.exists() else f"# {path.name}\n"
                card.write_text(with_card_section(text, card_section(rows, model.layout.kind)), encoding="utf-8")
                print(f"wrote {card}")
    table = pd.DataFrame(every)
    if table.empty:
        return
    print("\nMeans over every direction of every model measured (monotonicity: 1 = always the labelled way):")
    means = table.groupby("method").agg(
        models=("model", "nunique"),
        directions=("direction", "size"),
        monotonicity=("monotonicity", "mean"),
        size=("size", "mean"),
        off_label=("off_label", "mean"),
    )
    means["seconds per model"] = table.groupby(["method", "model"])["seconds"].first().groupby("method").mean()
    print(means.round(2).to_string())
    both = table[table["model"].isin(table[table["method"] == "sefa"]["model"])]
    if "sefa" in methods and both["method"].nunique() > 1:
        print("\nThe same means on the models where SeFa applies:")
        print(both.groupby("method")[["monotonicity", "size", "off_label"]].mean().round(2).to_string())


if __name__ == "__main__":
    main()
