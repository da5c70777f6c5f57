"""Train every pretrained model in `pretrained/` from scratch, and write its model card.

    python scripts/make_pretrained.py                 # all of them
    python scripts/make_pretrained.py wgan_gp_penguins cgan_penguins

Each entry below fixes the data set, architecture, settings and seed, so a rerun on the same
kind of machine reproduces the weights. The card records the data, config, seed, training time
on this hardware and the measured quality of 10,000 sampled rows against the training data.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gen_models  # noqa: E402
from gen_models.data.datasets import dataset_info  # noqa: E402
from gen_models.evaluation import quality_score  # noqa: E402

OUT = ROOT / "pretrained"


@dataclass(frozen=True)
class Recipe:
    dataset: str
    model: str
    settings: dict = field(default_factory=dict)
    condition: str | None = None
    note: str = ""


RECIPES: dict[str, Recipe] = {
    "wgan_gp_penguins": Recipe("penguins", "wgan_gp", {"seed": 0}),
    "cgan_penguins": Recipe("penguins", "cgan", {"seed": 0}, condition="species"),
    "vae_penguins": Recipe("penguins", "vae", {"seed": 0}),
    "gan_weather": Recipe("weather", "gan", {"seed": 0}),
}


def hardware() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"{torch.get_num_threads()} CPU threads ({platform.processor() or platform.machine()})"


def make(name: str, recipe: Recipe) -> dict:
    data = gen_models.load_dataset(recipe.dataset)
    model = gen_models.create(recipe.model, **recipe.settings)
    started = time.perf_counter()
    result = model.fit(data, condition=recipe.condition)
    seconds = time.perf_counter() - started
    if result.status != "finished":
        raise SystemExit(f"{name}: training did not finish: {result.message}")
    directory = OUT / name
    model.save(directory)
    rows = model.sample(10_000, seed=0)
    kinds = {c.name: c.kind for c in model.schema.columns if c.kind != "ignore"}
    quality = quality_score(data[rows.columns], rows, kinds=kinds)
    card = {
        "name": name,
        "data": recipe.dataset,
        "model": recipe.model,
        "condition": recipe.condition,
        "config": asdict(model.config),
        "seed": model.config.seed,
        "training_seconds": round(seconds, 1),
        "hardware": hardware(),
        "quality": round(quality["quality"], 3),
        "column_shapes": round(quality["column_shapes"], 3),
        "pair_trends": round(quality["pair_trends"], 3),
    }
    write_card(directory, card, recipe)
    return card


def write_card(directory: Path, card: dict, recipe: Recipe) -> None:
    info = dataset_info(recipe.dataset)
    condition = f", conditioned on `{card['condition']}`" if card["condition"] else ""
    lines = [
        f"# {card['name']}",
        "",
        f"**{card['model']}**{condition}, trained on **{info.title}** ({info.n_rows} rows). {info.source}; {info.licence}.",
        "",
        f"- Config: `{json.dumps(card['config'])}`",
        f"- Seed: {card['seed']}",
        f"- Training time: {card['training_seconds']} s on {card['hardware']}",
        f"- Quality of 10,000 sampled rows against the training data (SDMetrics-style, 1 = identical "
        f"distributions): **{card['quality']}** (column shapes {card['column_shapes']}, "
        f"pair trends {card['pair_trends']})",
        "",
        "Made by `python scripts/make_pretrained.py " + card["name"] + "`.",
    ]
    if recipe.note:
        lines += ["", recipe.note]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "card.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"which to make (default: all of {', '.join(RECIPES)})")
    names = parser.parse_args().names or list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown pretrained model(s) {unknown}; known: {', '.join(RECIPES)}")
    for name in names:
        card = make(name, RECIPES[name])
        print(f"{name}: {card['training_seconds']} s, quality {card['quality']}", flush=True)


if __name__ == "__main__":
    main()
