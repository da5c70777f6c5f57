"""Discovered directions: a few orthogonal lines in a model's latent space that change its output most.

A plain GAN's noise dimensions mean nothing one by one: moving z7 alone does little. But some
*combinations* of them move the output a lot. This module finds a handful (default 6) of such
directions for any trained model, names each by what it does to the data, and moves along them.

Where the search happens ("standard space"): the model's continuous codes, each mapped so its prior
is a standard normal: a normal code is divided by its std; a uniform one (the autoregressive model's
quantiles u in (0, 1), InfoGAN's continuous codes) goes through the probit, s = Φ⁻¹(u), so a line in
standard space never leaves the code's range. When the model has plain noise dimensions
(role "noise": GAN, WGAN-GP, CGAN, InfoGAN's noise) only those are searched, so a model's own named
codes keep their meaning and the directions add to them; otherwise every continuous code is.
Categorical codes (InfoGAN's c1) are never searched and stay drawn from their prior.

A direction is a unit vector d (k,) over the k searched dimensions. Its value t *sets* the latent's
coordinate along d: s' = s + (t - s·d) d, so t is in units of the prior's spread (t = ±2 is two
standard deviations) and every other coordinate keeps its random draw, as a held code does.

Three ways to find them, compared in `bench/bench_directions.py` (all orthonormalised in their own order):
- "regression": per-column regression of the outputs' plain features on s (n, k) -> one coefficient
  vector per feature; the feature whose (unit) vector moves all features most gives the first
  direction, its share is projected out of every other vector, and so on (greedy Gram-Schmidt);
- "pca": GANSpace's recipe on the outputs: principal components of the features, then each
  component's scores regressed on s to carry it back into latent space;
- "sefa": closed-form factorisation of the first layer's weights A (eigenvectors of AᵀA over the
  searched columns): no sampling at all, but only for generators whose first layer is linear.
Features are `FeatureSpace`'s for tables (standardised numbers + category probabilities) and the
encoded pixels / values for images and sequences.

The default is "regression". `bench/bench_directions.py` on the eleven pretrained models (6 directions
each, or as many as there are searched dimensions; 9 values from -2 to +2, 400 items each) measured:
monotonicity of the labelled columns 0.97 (pca 0.94), their move 1.28 item-to-item spreads (pca 1.23)
and the other columns' move 0.30 of that (pca 0.35). On the 8 models SeFa applies to it is a little
cleaner (monotonicity 0.98 against 0.96, off-label 0.34 against 0.36, the same move: 1.12 against 1.14),
but it needs a linear first layer, which the autoregressive model and the RCGAN lack. One method for
every model, so that a direction means the same thing everywhere: regression.

Each direction's label is computed from a step from -2 to +2 on `LABEL_ITEMS` items drawn with one
seed: tables say how the median of each numeric column moves and which level's share grows most
("body_mass_g ↑ 820, species → Gentoo"); images say which regions get brighter or darker; sequences
which part of the series moves up, down or in amplitude. Columns are ranked by their change in units
of their spread across items; the label names at most three: those within half of the largest and at
least MIN_SIZE (smaller changes did not repeat on the bench's other draws), else "little visible change".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.data.encoders import TabularEncoder
from gen_models.errors import CheckpointError, ModelError
from gen_models.latent.features import FeatureSpace

Method = Literal["regression", "pca", "sefa"]
METHODS: tuple[Method, ...] = get_args(Method)
DEFAULT_METHOD = "regression"
DEFAULT_COUNT = 6
SEARCH_ITEMS = 512  # latents drawn for a search: enough for a stable regression on 100+ dimensions
LABEL_ITEMS = 256  # items per end of a label's step from -STEP to +STEP
STEP = 2.0
MAX_VALUE = 10.0  # a direction's value, in prior stds: beyond this the prior has no mass at all
PROBIT_EDGE = 1e-6  # uniform codes are kept inside (0, 1) before the probit
MIN_SIZE = 0.25  # a change smaller than this (in item-to-item spreads) does not repeat on other draws
MAX_NAMED = 3  # columns a label names at most
REGIONS = (("top", "middle", "bottom"), ("left", "centre", "right"))
SEGMENTS = ("start", "middle", "end")


class Code(Protocol):
    """What this module reads of a `LatentCode` (gen_models.models.base)."""

    name: str
    kind: str
    role: str
    prior: str
    std: float
    low: float
    high: float
    prior_range: tuple[float, float] | None

    @property
    def width(self) -> int: ...


class LatentModel(Protocol):
    """What this module reads of a `GenerativeModel`: a Protocol, since the models import this module to sample."""

    name: str
    layout: Any
    schema: Any
    encoder: Any
    networks: nn.ModuleDict
    directions_: Any

    @property
    def fitted(self) -> bool: ...

    @property
    def latent_width(self) -> int: ...

    def latent_codes(self) -> list[Any]: ...

    def draw_latent(self, n: int, codes: dict[str, Any] | None, generator: torch.Generator) -> torch.Tensor: ...

    def condition_tensor(self, n: int, condition: Any, generator: torch.Generator) -> torch.Tensor | None: ...

    def generate_from_latent(self, z: torch.Tensor, c: torch.Tensor | None = None, seed: int = 0) -> torch.Tensor: ...

    def decode(self, x: torch.Tensor, c: torch.Tensor | None = None) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Direction:
    """One discovered direction: `vector` (k,) is a unit vector over the searched dimensions, in standard space.

    effects: what a step from -2 to +2 does, {column: change}: a number in the column's units for a numeric
        column; {"to": level, "share_change": fraction of items} for a categorical one; the mean pixel change
        (0-1 scale) of a region for images; the mean change (or amplitude change) of a part of the series.
    """

    name: str
    label: str
    effects: dict[str, Any]
    vector: tuple[float, ...]
    named: tuple[str, ...] = ()  # the effects the label names, largest first (table columns, regions, parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "effects": self.effects,
            "named": list(self.named),
            "vector": list(self.vector),
        }


@dataclass(frozen=True)
class Directions:
    """A model's directions, best first, over the latent codes named in `dims`."""

    method: str
    dims: tuple[str, ...]
    items: tuple[Direction, ...]

    @property
    def names(self) -> list[str]:
        return [direction.name for direction in self.items]

    def get(self, name: str) -> Direction:
        for direction in self.items:
            if direction.name == name:
                return direction
        raise ModelError(f"This model has no direction {name!r}. Its directions are: {', '.join(self.names)}.")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "dims": list(self.dims), "items": [d.to_dict() for d in self.items]}

    @classmethod
    def from_dict(cls, data: Any, model: LatentModel) -> Directions:
        """Directions read from model.json, checked against the model's codes (CheckpointError if they do not fit)."""
        try:
            dims = tuple(str(name) for name in data["dims"])
            items = tuple(
                Direction(
                    str(d["name"]),
                    str(d["label"]),
                    dict(d["effects"]),
                    tuple(float(v) for v in d["vector"]),
                    tuple(str(key) for key in d.get("named", ())),  # saved before labels kept their columns
                )
                for d in data["items"]
            )
            method = str(data["method"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"The saved directions are damaged: {err}") from None
        expected = tuple(code.name for _, code in searched_codes(model))
        if dims != expected:
            raise CheckpointError("The saved directions are over other codes than this model's.")
        if any(len(d.vector) != len(dims) or not all(map(math.isfinite, d.vector)) for d in items):
            raise CheckpointError("A saved direction's vector does not fit this model's codes.")
        if len({d.name for d in items}) != len(items):
            raise CheckpointError("Two saved directions have the same name.")
        return cls(method, dims, items)


# ----- standard space ------------------------------------------------------------------------------
def searched_codes(model: LatentModel) -> list[tuple[int, Code]]:
    """(position in the latent vector, code) of the dimensions directions are searched over.

    The noise dimensions when the model has any, else every continuous code (see the module docstring).
    """
    placed, start = [], 0
    for code in model.latent_codes():
        if code.kind == "continuous":
            placed.append((start, code))
        start += code.width
    noise = [(i, code) for i, code in placed if code.role == "noise"]
    return noise or placed


def _is_uniform(code: Code) -> bool:
    return code.prior == "uniform"


def _uniform_range(code: Code) -> tuple[float, float]:
    return code.prior_range or (code.low, code.high)


def to_standard(model: LatentModel, z: torch.Tensor) -> torch.Tensor:
    """Latent vectors (n, latent_width) -> their searched part in standard space (n, k), float64."""
    columns = []
    for i, code in searched_codes(model):
        value = z[:, i].double()
        if _is_uniform(code):
            low, high = _uniform_range(code)
            fraction = ((value - low) / (high - low)).clamp(PROBIT_EDGE, 1 - PROBIT_EDGE)
            columns.append(torch.special.ndtri(fraction))
        else:
            columns.append(value / code.std)
    return torch.stack(columns, dim=1)


def from_standard(model: LatentModel, z: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Latent vectors (n, latent_width) with their searched part replaced by standard-space values s (n, k)."""
    z = z.clone()
    for column, (i, code) in enumerate(searched_codes(model)):
        if _is_uniform(code):
            low, high = _uniform_range(code)
            z[:, i] = (low + (high - low) * torch.special.ndtr(s[:, column])).to(z.dtype)
        else:
            z[:, i] = (s[:, column] * code.std).to(z.dtype)
    return z


def move(
    model: LatentModel, z: torch.Tensor, values: dict[str, Any], directions: Directions, held: tuple[str, ...] = ()
) -> torch.Tensor:
    """Latent vectors (n, latent_width) moved so that their coordinate along each named direction is its value.

    held: codes the caller fixed (`codes=`): they keep their values, since a held code is a promise.
    Unknown names and values that are not numbers within ±MAX_VALUE raise ModelError.
    """
    unknown = sorted(set(values) - set(directions.names))
    if unknown:
        raise ModelError(
            f"{model.name} has no direction {', '.join(map(repr, unknown))}. "
            f"Its directions are: {', '.join(directions.names)}."
        )
    s = to_standard(model, z)
    for name, raw in values.items():
        value = _direction_number(name, raw)
        d = torch.tensor(directions.get(name).vector, dtype=torch.float64)
        s = s + (value - s @ d)[:, None] * d[None, :]
    moved = from_standard(model, z, s)
    positions = {code.name: i for i, code in searched_codes(model)}
    for name in held:
        if name in positions:
            moved[:, positions[name]] = z[:, positions[name]]
    return moved


def _direction_number(name: str, raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ModelError(f"Direction '{name}' takes a number (in prior standard deviations), not {raw!r}.") from None
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise ModelError(f"Direction '{name}' takes a number between {-MAX_VALUE:g} and {MAX_VALUE:g}, not {raw!r}.")
    return value


# ----- finding directions ----------------------------------------------------------------------------
def directions_of(model: LatentModel) -> Directions:
    """The model's directions: those saved with it, else found now (with the default settings) and kept on it."""
    if model.directions_ is None:
        model.directions_ = find_directions(model)
    return model.directions_


def store_directions(model: LatentModel) -> None:
    """At the end of training: find the model's directions now, so that its next `save` writes them.

    A model whose outputs cannot be measured (not finite after a divergence, no continuous codes) is saved
    without them: saving must not fail for this, and asking for them later says what is wrong.
    """
    try:
        directions_of(model)
    except ModelError:
        model.directions_ = None


def find_directions(
    model: LatentModel, count: int = DEFAULT_COUNT, method: Method = DEFAULT_METHOD, seed: int = 0
) -> Directions:
    """`count` orthonormal directions (fewer if the model has fewer searched dimensions), named by their effects.

    Deterministic given the seed. Raises ModelError for an unknown method, or "sefa" on a model whose
    generator does not start with a linear layer.
    """
    if not model.fitted:
        raise ModelError(f"This {model.name} model has not been trained yet: call fit(data) first.")
    if method not in METHODS:
        raise ModelError(f"There is no direction method {method!r}. Choose one of: {', '.join(METHODS)}.")
    if count < 1:
        raise ModelError(f"Ask for at least 1 direction (got {count}).")
    searched = searched_codes(model)
    if not searched:
        raise ModelError(f"{model.name} has no continuous latent codes to find directions in.")
    count = min(count, len(searched))
    if method == "sefa":
        vectors = sefa_vectors(model, count)
    else:
        s, features = _sampled_features(model, SEARCH_ITEMS, seed)
        vectors = regression_vectors(s, features, count) if method == "regression" else pca_vectors(s, features, count)
    dims = tuple(code.name for _, code in searched)
    unnamed = Directions(method, dims, tuple(Direction(f"d{i + 1}", "", {}, tuple(v)) for i, v in enumerate(vectors)))
    items = []
    for direction in unnamed.items:
        effects, sizes = step_effects(model, unnamed, direction.name, seed=seed + 1)
        label, named = effect_label(model, effects, sizes), tuple(named_columns(sizes))
        items.append(Direction(direction.name, label, effects, direction.vector, named))
    return Directions(method, dims, tuple(items))


def _generate(model: LatentModel, z: torch.Tensor, c: torch.Tensor | None, seed: int) -> torch.Tensor:
    with torch.no_grad():
        return model.generate_from_latent(z, c, seed=seed).cpu()


def _sampled_features(model: LatentModel, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n latents drawn from the prior, in standard space (n, k), and the plain features of their outputs (n, f)."""
    generator = torch.Generator().manual_seed(seed)
    z = model.draw_latent(n, None, generator)
    c = model.condition_tensor(n, None, generator)
    x = _generate(model, z, c, seed)
    if model.layout.kind == "table":
        rows = model.decode(x, c)
        features = _feature_space(model, rows).from_frame(rows)
    else:
        features = x
    features = features.double().numpy()
    if not np.isfinite(features).all():
        raise ModelError(f"This {model.name} model makes items that are not finite numbers: it has no directions.")
    return to_standard(model, z).numpy(), features


def _feature_space(model: LatentModel, rows: pd.DataFrame) -> FeatureSpace:
    """The plain features of a table model's rows, standardised on `rows`."""
    # Copied from gen_models.latent.design.feature_space (design imports the models, which import this module):
    # through the model's own encoder where it is a TabularEncoder, else a TabularEncoder fitted to the rows.
    if isinstance(model.encoder, TabularEncoder):
        return FeatureSpace(model.encoder, rows)
    return FeatureSpace(TabularEncoder(model.schema, continuous="scale").fit(rows), rows)


def _orthonormal(vectors: list[np.ndarray], k: int) -> np.ndarray:
    """Gram-Schmidt in the given order; a vector already spanned is replaced by an unused axis."""
    basis: list[np.ndarray] = []
    candidates = [*vectors, *np.eye(k)]
    for vector in candidates:
        v = vector - sum((vector @ b) * b for b in basis) if basis else vector.copy()
        norm = np.linalg.norm(v)
        if norm > 1e-8:
            basis.append(v / norm)
        if len(basis) == len(vectors):
            break
    return np.stack(basis)


def _sign_up(vectors: np.ndarray, s: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Flip each direction so that its largest-moving feature goes up with it: labels then read "↑" first."""
    centred = features - features.mean(axis=0)
    flipped = []
    for v in vectors:
        slope = centred.T @ (s @ v) / len(s)
        flipped.append(v if slope[np.argmax(np.abs(slope))] >= 0 else -v)
    return np.stack(flipped)


def regression_vectors(s: np.ndarray, features: np.ndarray, count: int) -> np.ndarray:
    """Per-column regression of features (n, f) on latents s (n, k) -> `count` orthonormal directions (count, k)."""
    design = np.hstack([s, np.ones((len(s), 1))])
    coefficients = np.linalg.lstsq(design, features, rcond=None)[0][:-1]  # (k, f)
    remaining, vectors = coefficients.copy(), []
    for _ in range(count):
        # Each feature's own direction, scored by how much it moves *all* features: a factor behind two
        # columns beats a column that moves alone.
        lengths = np.linalg.norm(remaining, axis=0)
        candidates = remaining / np.maximum(lengths, 1e-12)  # (k, f)
        reach = np.linalg.norm(candidates.T @ remaining, axis=1)  # (f,)
        v = candidates[:, int(np.argmax(reach))]
        vectors.append(v)
        remaining = remaining - np.outer(v, v @ remaining)  # what is left for the next direction to explain
    return _sign_up(_orthonormal(vectors, s.shape[1]), s, features)


def pca_vectors(s: np.ndarray, features: np.ndarray, count: int) -> np.ndarray:
    """GANSpace: principal components of features (n, f), each component's scores regressed on s (n, k)."""
    centred = features - features.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    scores = centred @ components[:count].T  # (n, count)
    design = np.hstack([s, np.ones((len(s), 1))])
    to_latent = np.linalg.lstsq(design, scores, rcond=None)[0][:-1]  # (k, count): each component's latent slope
    vectors = [to_latent[:, j] / max(np.linalg.norm(to_latent[:, j]), 1e-12) for j in range(to_latent.shape[1])]
    return _sign_up(_orthonormal(vectors, s.shape[1]), s, features)


def first_layer(model: LatentModel) -> nn.Linear:
    """The generator's (or decoder's) first layer with weights, when it is linear; else ModelError."""
    network = next((model.networks[k] for k in ("generator", "decoder") if k in model.networks), None)
    for module in [] if network is None else network.modules():
        if any(True for _ in module.parameters(recurse=False)):
            if isinstance(module, nn.Linear) and module.in_features >= model.latent_width:
                return module
            break
    raise ModelError(f"SeFa reads a generator's first linear layer, and {model.name}'s generator has none.")


def sefa_vectors(model: LatentModel, count: int) -> np.ndarray:
    """SeFa: the top eigenvectors of AᵀA, A the first layer's weights on the searched inputs in standard units."""
    weight = first_layer(model).weight.detach().double().cpu()
    columns, scales = [], []
    for i, code in searched_codes(model):
        columns.append(i)
        low, high = _uniform_range(code)
        scales.append((high - low) / math.sqrt(12) if _is_uniform(code) else code.std)  # the prior's std
    a = weight[:, columns].numpy() * np.array(scales)[None, :]  # the input is std * s: A's columns carry the std
    eigenvalues, eigenvectors = np.linalg.eigh(a.T @ a)
    order = np.argsort(eigenvalues)[::-1][:count]
    vectors = eigenvectors[:, order].T
    s, features = _sampled_features(model, LABEL_ITEMS, 0)  # only to orient each vector, not to choose it
    return _sign_up(vectors, s, features)


# ----- what a direction does -------------------------------------------------------------------------
def moved_items(
    model: LatentModel, directions: Directions, name: str, value: float, n: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n encoded items (n, data_dim) and their conditions, every item's latent set to `value` along `name`.

    The same seed gives the same draws of everything else, so two values differ only along the direction.
    """
    generator = torch.Generator().manual_seed(seed)
    z = model.draw_latent(n, None, generator)
    c = model.condition_tensor(n, None, generator)
    z = move(model, z, {name: value}, directions)
    return _generate(model, z, c, seed), c


def item_values(model: LatentModel, x: torch.Tensor, c: torch.Tensor | None) -> pd.DataFrame:
    """One number per item (n rows) for each thing a label may name.

    Tables: each numeric column in its units (datetimes in days), and a 0/1 column "<column>=<level>" per
    level of each categorical. Images: the mean pixel (0-1) of each of nine regions. Sequences: the mean and
    the amplitude (std) of each value over the start, middle and end thirds, in the values' units.
    """
    kind = model.layout.kind
    if kind == "table":
        rows = model.decode(x, c)
        values: dict[str, Any] = {}
        for spec in model.schema.columns:
            if spec.kind == "ignore" or spec.name not in rows:
                continue
            column = rows[spec.name]
            if spec.kind == "categorical":
                for level in model.encoder.levels(spec.name):
                    hit = column.isna() if _is_empty(level) else column == level
                    values[f"{spec.name}={_level_text(level)}"] = hit.to_numpy(dtype=float)
            elif spec.kind == "datetime":
                stamps = pd.to_datetime(column, errors="coerce")
                values[spec.name] = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0
            else:
                values[spec.name] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        return pd.DataFrame(values)
    array = x.double().numpy()
    if kind == "images":
        height, width = model.encoder.shape
        pixels = (array.reshape(len(array), height, width) + 1) / 2
        values = {}
        for r, rows_part in enumerate(np.array_split(np.arange(height), 3)):
            for k, cols_part in enumerate(np.array_split(np.arange(width), 3)):
                values[_region(r, k)] = pixels[:, rows_part][:, :, cols_part].mean(axis=(1, 2))
        return pd.DataFrame(values)
    encoder = model.encoder
    series = array.reshape(len(array), encoder.steps, encoder.features)
    lows, highs = np.array(encoder.lows, dtype=float), np.array(encoder.highs, dtype=float)
    series = (series + 1) / 2 * (highs - lows) + lows  # back to the values' units
    names = encoder.channel_names
    values = {}
    for f, value_name in enumerate(names):
        for segment, steps in zip(SEGMENTS, np.array_split(np.arange(encoder.steps), 3), strict=True):
            part = series[:, steps, f]
            values[f"{value_name} ({segment})"] = part.mean(axis=1)
            values[f"{value_name} amplitude ({segment})"] = part.std(axis=1)
    return pd.DataFrame(values)


def _region(row: int, column: int) -> str:
    vertical, horizontal = REGIONS[0][row], REGIONS[1][column]
    if vertical == "middle" and horizontal == "centre":
        return "centre"
    if vertical == "middle":
        return horizontal
    if horizontal == "centre":
        return vertical
    return f"{vertical}-{horizontal}"


def _is_empty(level: Any) -> bool:
    return level is None or (isinstance(level, float) and np.isnan(level))


def _level_text(level: Any) -> str:
    return "empty" if _is_empty(level) else str(level)


def summary(model: LatentModel, values: pd.DataFrame) -> pd.Series:
    """Items' values -> one number each: medians of numeric table columns, means otherwise (shares, pixels)."""
    if model.layout.kind == "table":
        numeric = [name for name in values if "=" not in name]
        return pd.concat([values[numeric].median(), values.drop(columns=numeric).mean()])[list(values)]
    return values.mean()


def step_effects(
    model: LatentModel, directions: Directions, name: str, seed: int = 1, n: int = LABEL_ITEMS
) -> tuple[dict[str, Any], dict[str, float]]:
    """What a step from -STEP to +STEP along `name` does: (effects as in `Direction`, size of each effect).

    A size is the change in units of the item-to-item spread at both ends together, so columns compare.
    """
    low = item_values(model, *moved_items(model, directions, name, -STEP, n, seed))
    high = item_values(model, *moved_items(model, directions, name, STEP, n, seed))
    change = summary(model, high) - summary(model, low)
    spread = pd.concat([low, high]).std().clip(lower=1e-6).fillna(1.0)
    effects: dict[str, Any] = {}
    sizes: dict[str, float] = {}
    levels: dict[str, list[str]] = {}
    for key in change.index:
        if model.layout.kind == "table" and "=" in key:
            column = key.split("=", 1)[0]
            levels.setdefault(column, []).append(key)
            continue
        delta = float(change[key]) if np.isfinite(change[key]) else 0.0
        effects[key] = round(delta, 6)
        sizes[key] = abs(delta) / max(float(spread[key]), 1e-6)
    for column, keys in levels.items():
        grown = max(keys, key=lambda k: float(change[k]))
        share = float(change[grown])
        effects[column] = {"to": grown.split("=", 1)[1], "share_change": round(share, 4)}
        # Shares are fractions of items: a level growing by half the items is as big a change as a median
        # moving by one spread (a rare level's tiny spread would otherwise make any trickle look large).
        sizes[column] = max(share, 0.0) * 2
    order = sorted(sizes, key=lambda k: -sizes[k])
    return {k: effects[k] for k in order}, {k: sizes[k] for k in order}


def named_columns(sizes: dict[str, float]) -> list[str]:
    """The effects a label names: within half of the largest, at least MIN_SIZE, at most MAX_NAMED."""
    if not sizes:
        return []
    top = max(sizes.values())
    return [k for k, size in sizes.items() if size >= max(MIN_SIZE, top / 2)][:MAX_NAMED]


def effect_label(model: LatentModel, effects: dict[str, Any], sizes: dict[str, float]) -> str:
    """A direction's label, e.g. "body_mass_g ↑ 820, species → Gentoo" or "brighter centre; darker top-left"."""
    named = named_columns(sizes)
    if not named:
        return "little visible change"
    if model.layout.kind == "images":
        brighter = [key for key in named if effects[key] > 0]
        darker = [key for key in named if effects[key] <= 0]
        return "; ".join(
            f"{word} {', '.join(keys)}" for word, keys in (("brighter", brighter), ("darker", darker)) if keys
        )
    if model.layout.kind == "sequences":
        return _sequence_label(effects, named)
    parts = []
    for key in named:
        effect = effects[key]
        if isinstance(effect, dict):
            parts.append(f"{key} → {effect['to']}")
        else:
            unit = " days" if model.layout.kind == "table" and model.schema.column(key).kind == "datetime" else ""
            parts.append(f"{key} {'↑' if effect > 0 else '↓'} {_number(abs(effect))}{unit}")
    return ", ".join(parts)


def _sequence_label(effects: dict[str, Any], named: list[str]) -> str:
    """Parts of a series, with a change named in all three parts the same way said once: "value ↑ 0.3 throughout"."""
    parts, said = [], set()
    for key in named:
        base = key.rsplit(" (", 1)[0]
        same = [f"{base} ({segment})" for segment in SEGMENTS]
        if all(k in named and np.sign(effects[k]) == np.sign(effects[key]) for k in same):
            if base not in said:
                mean = float(np.mean([abs(effects[k]) for k in same]))
                parts.append(f"{base} {'↑' if effects[key] > 0 else '↓'} {_number(mean)} throughout")
                said.add(base)
            continue
        parts.append(f"{key} {'↑' if effects[key] > 0 else '↓'} {_number(abs(effects[key]))}")
    return ", ".join(parts)


def _number(value: float) -> str:
    """Three significant figures, without an exponent for everyday sizes."""
    if value == 0 or 1e-3 <= value < 1e6:
        return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"
    return f"{value:.2e}"
