"""Designing rows that hit a target: search a generator's latent space with a surrogate regressor.

The recipe (after "searching a generator's latent space for samples that hit a target predicted
by a regression model"):

1. `fit_surrogate`: a small MLP learns to predict a numeric target column (say body mass) from
   the other columns of the real data, in the plain feature space of `gen_models.latent.features`. It is
   differentiable, so it can steer a search.
2. `design`: many latent vectors are drawn from the prior and moved, all at once, so that the rows
   the generator decodes from them are scored near the target value (or as low / high as
   possible), with a penalty that keeps each code plausible under the prior (-log prior, up to a
   constant). By gradient descent through generator and surrogate, or — where gradients are not
   useful — by a gradient-free evolution strategy over the codes.
3. Side by side, the same surrogate is optimised directly in data space: real rows' features are
   moved freely. The surrogate is happy, but the rows leave the data's range and end up between
   categories: the reason the latent route exists. `DesignResult.realism` measures both.

Tables only. Every step is deterministic given `seed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.data.encoders import TabularEncoder
from gen_models.errors import DataError, ModelError
from gen_models.latent.features import FeatureSpace
from gen_models.models.base import GenerativeModel
from gen_models.models.nets import mlp

GOALS = ("value", "min", "max")
METHODS = ("gradient", "evolution")
MIN_SURROGATE_ROWS = 20
MAX_REALISM_REFERENCE = 5000  # real rows compared against when measuring realism


# ---------------------------------------------------------------------------------------------
# The surrogate
# ---------------------------------------------------------------------------------------------


@dataclass
class Surrogate:
    """A differentiable regressor: features (n, width) -> predicted target (n,) in the target's units."""

    space: FeatureSpace
    target: str
    net: nn.Module
    inputs: torch.Tensor  # (width,) bool: the features it reads (every column but the target)
    y_mean: float
    y_std: float
    r2: float  # on held-out real rows: how far to trust it
    mae: float  # mean absolute error on held-out rows, in the target's units

    def predict_standard(self, features: torch.Tensor) -> torch.Tensor:
        """(n, width) features -> (n,) prediction in standard units ((y - mean) / std); differentiable."""
        return self.net(features[:, self.inputs]).squeeze(1)

    def predict_features(self, features: torch.Tensor) -> torch.Tensor:
        """(n, width) features -> (n,) prediction in the target's units; differentiable."""
        return self.predict_standard(features) * self.y_std + self.y_mean

    @torch.no_grad()
    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Rows with the model's columns -> (n,) predictions in the target's units."""
        return self.predict_features(self.space.from_frame(rows)).numpy().astype(np.float64)


def _numeric_target(model: GenerativeModel, target: str) -> None:
    if model.schema is None:
        raise ModelError("This model has not been trained yet.")
    columns = model.schema.used_columns
    if target not in columns:
        raise DataError(f"The model has no column '{target}'. Its columns: {', '.join(columns)}.", column=target)
    kind = model.schema.column(target).kind
    if kind not in ("continuous", "integer"):
        numeric = [c.name for c in model.schema.columns if c.kind in ("continuous", "integer")]
        raise DataError(
            f"The target must be a numeric column; '{target}' is {kind}. "
            f"Numeric columns: {', '.join(numeric) or 'none'}.",
            column=target,
        )


def feature_space(model: GenerativeModel, real: pd.DataFrame, everything: pd.DataFrame) -> FeatureSpace:
    """The plain features of a table model's rows, standardised on `real`.

    Through the model's own encoder where that is a TabularEncoder (whose encoded rows FeatureSpace reads,
    differentiably). A model that encodes rows otherwise (the autoregressive model's tokens) is read through
    its decoded rows, by a TabularEncoder fitted to `everything` (all of its training rows, so that every
    level and empty cell it generates has a place).
    """
    if isinstance(model.encoder, TabularEncoder):
        return FeatureSpace(model.encoder, real)
    return FeatureSpace(TabularEncoder(model.schema, continuous="scale").fit(everything), real)


def fit_surrogate(
    model: GenerativeModel, real: pd.DataFrame, target: str, seed: int = 0, epochs: int = 300
) -> Surrogate:
    """Train an MLP to predict `target` from the other columns of `real` (rows with it missing are left out).

    80 % of the rows train it and 20 % are held out; the weights of the epoch with the lowest
    held-out error are kept, and `r2` / `mae` report that error honestly.
    """
    _numeric_target(model, target)
    if getattr(model.encoder, "kind", None) != "table":
        raise ModelError("Designing rows works on table models; this model makes images or sequences.")
    everything, real = real, real[real[target].notna()].reset_index(drop=True)
    if len(real) < MIN_SURROGATE_ROWS:
        raise DataError(
            f"Only {len(real)} real rows have a value of '{target}'; "
            f"at least {MIN_SURROGATE_ROWS} are needed to learn to predict it.",
            column=target,
        )
    space = feature_space(model, real, everything)
    features = space.from_frame(real)
    inputs = space.without(target)
    y = torch.tensor(pd.to_numeric(real[target]).to_numpy(dtype=np.float32))
    y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
    y_standard = (y - y_mean) / y_std

    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the network's initial weights
    order = torch.randperm(len(real), generator=generator)
    n_held = max(1, len(real) // 5)
    held, train = order[:n_held], order[n_held:]
    net = mlp(int(inputs.sum()), [64, 64], 1)
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    x = features[:, inputs]
    best_error, best_state = float("inf"), None
    batch = 256
    for _ in range(epochs):
        net.train()
        shuffled = train[torch.randperm(len(train), generator=generator)]
        for start in range(0, len(shuffled), batch):
            index = shuffled[start : start + batch]
            loss = nn.functional.mse_loss(net(x[index]).squeeze(1), y_standard[index])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        net.eval()
        with torch.no_grad():
            error = float(nn.functional.mse_loss(net(x[held]).squeeze(1), y_standard[held]))
        if error < best_error:
            best_error, best_state = error, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    net.eval()
    for parameter in net.parameters():  # the search moves codes, never the surrogate
        parameter.requires_grad_(False)
    with torch.no_grad():
        predicted = net(x[held]).squeeze(1) * y_std + y_mean
    truth = y[held]
    variance = float(((truth - truth.mean()) ** 2).mean())
    r2 = 1.0 - float(((predicted - truth) ** 2).mean()) / variance if variance > 0 else 0.0
    mae = float((predicted - truth).abs().mean())
    return Surrogate(space, target, net, inputs, y_mean, y_std, r2, mae)


# ---------------------------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------------------------


def parse_goal(value: Any) -> tuple[str, float | None]:
    """'min' / 'max' / a number (or its text) -> ("min" | "max" | "value", number or None)."""
    if isinstance(value, str) and value.strip().lower() in ("min", "max"):
        return value.strip().lower(), None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(f"The target value must be a number, 'min' or 'max', not {value!r}.") from None
    if not np.isfinite(number):
        raise DataError(f"The target value must be a finite number, not {value!r}.")
    return "value", number


def _miss(predicted: torch.Tensor, goal: str, value: float | None, surrogate: Surrogate) -> torch.Tensor:
    """(n,) how far each prediction is from the goal, in standard units; lower is better."""
    standard = (predicted - surrogate.y_mean) / surrogate.y_std
    if goal == "min":
        return standard
    if goal == "max":
        return -standard
    return ((predicted - value) / surrogate.y_std) ** 2


# ---------------------------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------------------------


@dataclass
class DesignResult:
    """What `design` found, next to what optimising the surrogate in data space gives."""

    target: str
    goal: str  # "value" | "min" | "max"
    value: float | None  # the target value when goal == "value"
    method: str  # "gradient" | "evolution"
    tolerance: float  # |prediction - value| counted as a hit, in the target's units
    surrogate_r2: float
    surrogate_mae: float
    rows: pd.DataFrame  # designed rows: the model's columns + "predicted <target>"
    predictions: np.ndarray  # (rows,) surrogate on the designed rows as returned
    codes: np.ndarray  # (rows, latent_width) their latent vectors
    data_space_rows: pd.DataFrame  # the naive alternative: columns but the target + "predicted <target>"
    data_space_predictions: np.ndarray  # (rows,) what the surrogate scored on the moved features
    data_space_snapped: np.ndarray  # (rows,) its score once each category is snapped to a real level
    features: dict[str, np.ndarray]  # "real", "latent", "data space": (n, width) features (target excluded)
    realism: dict[str, dict[str, float]]  # per set: see `realism`
    history: list[dict[str, float]] = field(default_factory=list)  # per step: median miss of each route

    @property
    def predicted_column(self) -> str:
        return f"predicted {self.target}"

    def hit_share(self, predictions: np.ndarray) -> float:
        """Share of rows within `tolerance` of the value (goal "value" only; else nan)."""
        if self.goal != "value":
            return float("nan")
        return float(np.mean(np.abs(predictions - self.value) <= self.tolerance))


@dataclass(frozen=True)
class _LatentAxes:
    """Per latent dimension: which move (continuous codes), their scale and bounds."""

    free: torch.Tensor  # (width,) bool
    scale: torch.Tensor  # (width,) prior std (normal) or half-range (uniform); 1 for fixed dims
    low: torch.Tensor  # (width,) slider bounds, in latent units
    high: torch.Tensor
    normal: torch.Tensor  # (width,) bool: dims with a normal prior (penalised by -log prior)

    @classmethod
    def of(cls, model: GenerativeModel) -> _LatentAxes:
        free, scale, low, high, normal = [], [], [], [], []
        for code in model.latent_codes():
            if code.kind == "categorical":  # a level is chosen, not searched over: held as drawn
                free += [False] * code.width
                scale += [1.0] * code.width
                low += [0.0] * code.width
                high += [1.0] * code.width
                normal += [False] * code.width
                continue
            lo, hi = code.prior_range or (code.low, code.high)
            if code.prior == "uniform":
                scale.append((hi - lo) / 2)
            else:
                scale.append(code.std)
                lo, hi = code.low, code.high
            free.append(True)
            low.append(lo)
            high.append(hi)
            normal.append(code.prior == "normal")
        as_float = {"dtype": torch.float32}
        return cls(
            free=torch.tensor(free),
            scale=torch.tensor(scale, **as_float),
            low=torch.tensor(low, **as_float),
            high=torch.tensor(high, **as_float),
            normal=torch.tensor(normal),
        )

    def clamp(self, z: torch.Tensor) -> torch.Tensor:
        return torch.where(self.free, torch.maximum(torch.minimum(z, self.high), self.low), z)

    def surprise(self, z: torch.Tensor) -> torch.Tensor:
        """(n,) mean squared standardised value over normal dims: -log prior up to constants, per dim."""
        if not bool(self.normal.any()):
            return z.new_zeros(len(z))
        u = z[:, self.normal] / self.scale[self.normal]
        return (u**2).mean(dim=1) / 2


def design(
    model: GenerativeModel,
    real: pd.DataFrame,
    target: str,
    value: Any,
    rows: int = 20,
    *,
    method: str = "gradient",
    steps: int | None = None,
    starts: int | None = None,
    plausibility: float = 0.1,
    tolerance: float | None = None,
    condition: Any = None,
    seed: int = 0,
    surrogate: Surrogate | None = None,
    match_own: bool = True,
) -> DesignResult:
    """Find `rows` rows the surrogate predicts near `value` (a number, "min" or "max") for `target`.

    model: a trained table model; real: its training data (for the surrogate and the comparison).
    method: "gradient" (Adam on the codes, through generator and surrogate) or "evolution" (a
        (1+4) evolution strategy per start, using only scores: for generators whose gradients
        are flat or noisy, and the only one for the autoregressive model, whose draws are discrete).
    steps: search steps (default 200 for gradient, 100 for evolution); starts: how many codes
        are searched at once (default max(4 * rows, 64)); the best `rows` are returned.
    plausibility: weight of the prior penalty that keeps codes where the generator was trained.
    tolerance: a hit is |prediction - value| <= tolerance (default a tenth of the target's std).
    condition: a level of the condition column, for conditional models (default: drawn).
    surrogate: reuse one fitted by `fit_surrogate` (it is fitted here otherwise).
    match_own: also steer the target column the generator itself writes toward the goal, so a
        designed row's own value agrees with its prediction.
    """
    goal, number = parse_goal(value)
    if method not in METHODS:
        raise ModelError(f"Unknown search method {method!r}; choose one of: {', '.join(METHODS)}.")
    if not 1 <= int(rows) <= 5000:
        raise DataError(f"The number of rows to design must be between 1 and 5,000 (got {rows}).")
    if plausibility < 0:
        raise DataError(f"The plausibility weight cannot be negative (got {plausibility}).")
    rows = int(rows)
    surrogate = surrogate or fit_surrogate(model, real, target, seed=seed)
    if surrogate.target != target:
        raise ModelError(f"The surrogate predicts '{surrogate.target}', not '{target}'.")
    space = surrogate.space
    steps = int(steps if steps is not None else (200 if method == "gradient" else 100))
    n_starts = int(starts if starts is not None else max(4 * rows, 64))
    if n_starts < rows:
        raise DataError(f"Search at least as many starts ({n_starts}) as rows wanted ({rows}).")
    tolerance = float(tolerance) if tolerance is not None else 0.1 * surrogate.y_std
    torch.manual_seed(seed)

    # --- the latent route ---
    generator = torch.Generator().manual_seed(seed)
    z0 = model.draw_latent(n_starts, None, generator)
    c = model.condition_tensor(n_starts, condition, generator)
    axes = _LatentAxes.of(model)
    noise_seed = seed + 1  # the generator's own randomness (Gumbel noise), fixed for the whole search

    own = space.block(target).start
    own_index = space.numeric_index(target)
    # Models whose encoded rows FeatureSpace cannot read (tokens) are scored on their decoded rows: no gradient.
    differentiable = isinstance(model.encoder, TabularEncoder)
    if method == "gradient" and not differentiable:
        raise ModelError(
            f"{model.name} draws each value as a discrete token, so no gradient passes from its rows back to its "
            "codes: use method='evolution', which searches with scores alone."
        )

    def features_of(encoded: torch.Tensor) -> torch.Tensor:
        if differentiable:
            return space.from_encoded(encoded)
        return space.from_frame(model.decode(encoded.detach().cpu(), None if c is None else c.cpu()))

    def latent_loss(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(n,) objective and (n,) miss of codes z (n, latent_width)."""
        features = features_of(model.generate_from_latent(z, c, seed=noise_seed))
        miss = _miss(surrogate.predict_features(features), goal, number, surrogate)
        # The generator writes the target column too; asking it to agree with the surrogate keeps
        # the designed rows consistent (a row predicted at 5,000 g should not *say* 3,500 g).
        own_value = features[:, own] * space.scale[own_index] + space.center[own_index]
        own_miss = _miss(own_value, goal, number, surrogate) if match_own else 0.0
        return miss + own_miss + plausibility * axes.surprise(z), miss

    history: list[dict[str, float]] = []
    if method == "gradient":
        z = _gradient_search(latent_loss, z0, axes, steps, history)
    else:
        z = _evolution_search(latent_loss, z0, axes, steps, history, seed)

    with torch.no_grad():
        encoded = model.generate_from_latent(z, c, seed=noise_seed)
    candidates = model.decode(encoded.cpu(), None if c is None else c.cpu())
    predicted = surrogate.predict(candidates)
    score = _miss(torch.from_numpy(predicted), goal, number, surrogate).numpy()
    best = np.argsort(score, kind="stable")[:rows]
    designed = candidates.iloc[best].reset_index(drop=True)
    designed[f"predicted {target}"] = predicted[best]

    # --- the naive route: move real rows' features directly ---
    data_features, data_history = _data_space_search(surrogate, real, goal, number, n_starts, steps, seed)
    for step, entry in zip(history, data_history, strict=False):
        step["data space"] = entry
    with torch.no_grad():
        data_predicted = surrogate.predict_features(data_features).numpy().astype(np.float64)
        data_score = _miss(torch.from_numpy(data_predicted), goal, number, surrogate).numpy()
        data_best = np.argsort(data_score, kind="stable")[:rows]
        data_features = data_features[data_best]
        snapped = surrogate.predict_features(snap_levels(space, data_features)).numpy().astype(np.float64)
    data_rows = space.to_frame(data_features).drop(columns=[target])
    data_rows[f"predicted {target}"] = data_predicted[data_best]

    inputs = surrogate.inputs
    with torch.no_grad():
        real_features = space.from_frame(real)
        latent_features = space.from_frame(designed[list(model.encoder.columns)])
    features = {
        "real": real_features[:, inputs].numpy(),
        "latent": latent_features[:, inputs].numpy(),
        "data space": data_features[:, inputs].numpy(),
    }
    realism_scores = {
        "latent": realism(space, real, designed, real_features, latent_features, inputs),
        "data space": realism(space, real, data_rows, real_features, data_features, inputs),
    }
    return DesignResult(
        target=target,
        goal=goal,
        value=number,
        method=method,
        tolerance=tolerance,
        surrogate_r2=surrogate.r2,
        surrogate_mae=surrogate.mae,
        rows=designed,
        predictions=predicted[best],
        codes=z[best].detach().numpy(),
        data_space_rows=data_rows,
        data_space_predictions=data_predicted[data_best],
        data_space_snapped=snapped,
        features=features,
        realism=realism_scores,
        history=history,
    )


def _gradient_search(loss_of, z0: torch.Tensor, axes: _LatentAxes, steps: int, history: list) -> torch.Tensor:
    """Adam on the free latent dims, in prior-scale units so one learning rate suits every code."""
    u = (z0 / axes.scale).clone().requires_grad_(True)
    optimiser = torch.optim.Adam([u], lr=0.05)
    free = axes.free.to(u.dtype)
    for _ in range(steps):
        z = u * axes.scale
        objective, miss = loss_of(z)
        optimiser.zero_grad(set_to_none=True)
        objective.sum().backward()  # rows are independent: the sum's gradient is each row's own
        u.grad *= free  # categorical codes stay at their drawn level
        optimiser.step()
        with torch.no_grad():
            u.copy_(axes.clamp(u * axes.scale) / axes.scale)
        history.append({"latent": float(miss.detach().median())})
    return (u * axes.scale).detach()


@torch.no_grad()
def _evolution_search(
    loss_of, z0: torch.Tensor, axes: _LatentAxes, steps: int, history: list, seed: int, offspring: int = 4
) -> torch.Tensor:
    """A (1+λ) evolution strategy per start: mutate, keep a child if it scores better.

    The mutation size shrinks from 0.5 to 0.05 prior std over the run: big jumps first to
    find the right region, small ones at the end to settle on the target.
    """
    generator = torch.Generator().manual_seed(seed + 2)
    z = z0.clone()
    best, miss = loss_of(z)
    n, width = z.shape
    for step in range(steps):
        sigma = 0.5 * (0.1 ** (step / max(1, steps - 1)))
        noise = torch.randn(offspring, n, width, generator=generator) * sigma * axes.scale * axes.free
        children = axes.clamp((z.unsqueeze(0) + noise).reshape(offspring * n, width)).reshape(offspring, n, width)
        # Score each brood in a batch of n, like the parents: the generator's own noise (Gumbel on
        # categories) and the conditions then line up row by row with the parent each child replaces.
        scored = [loss_of(children[k]) for k in range(offspring)]
        child_objective = torch.stack([objective for objective, _ in scored])  # (offspring, n)
        child_miss = torch.stack([m for _, m in scored])
        winner = child_objective.argmin(dim=0)  # (n,) best child of each start
        rows = torch.arange(n)
        chosen = child_objective[winner, rows]
        better = chosen < best
        z = torch.where(better[:, None], children[winner, rows], z)
        best = torch.where(better, chosen, best)
        miss = torch.where(better, child_miss[winner, rows], miss)
        history.append({"latent": float(miss.median())})
    return z


def _data_space_search(
    surrogate: Surrogate, real: pd.DataFrame, goal: str, value: float | None, n: int, steps: int, seed: int
) -> tuple[torch.Tensor, list[float]]:
    """Start from `n` real rows (drawn with replacement if fewer) and move their features freely.

    Returns the moved features (n, width) and the median miss per step. Nothing keeps a number in
    its range or a category one-hot: that is the point of the comparison.
    """
    rng = np.random.default_rng(seed)
    present = real[real[surrogate.target].notna()]
    picked = present.iloc[rng.choice(len(present), size=n, replace=len(present) < n)]
    with torch.no_grad():
        start = surrogate.space.from_frame(picked)
    f = start.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([f], lr=0.05)
    medians = []
    for _ in range(steps):
        miss = _miss(surrogate.predict_features(f), goal, value, surrogate)
        optimiser.zero_grad(set_to_none=True)
        miss.sum().backward()
        optimiser.step()
        medians.append(float(miss.detach().median()))
    return f.detach(), medians


def snap_levels(space: FeatureSpace, features: torch.Tensor) -> torch.Tensor:
    """Each categorical block replaced by the one-hot of its largest entry: the row as a table shows it."""
    snapped = features.clone()
    for block in space.blocks:
        if block.kind == "categorical":
            piece = features[:, block.start : block.start + block.width]
            snapped[:, block.start : block.start + block.width] = nn.functional.one_hot(
                piece.argmax(dim=1), block.width
            ).to(features.dtype)
    return snapped


# ---------------------------------------------------------------------------------------------
# How realistic a set of rows is
# ---------------------------------------------------------------------------------------------


@torch.no_grad()
def realism(
    space: FeatureSpace,
    real: pd.DataFrame,
    rows: pd.DataFrame,
    real_features: torch.Tensor,
    features: torch.Tensor,
    inputs: torch.Tensor,
) -> dict[str, float]:
    """How far a set of rows sits from the real data, in the plain feature space.

    - "nearest_real": median distance from each row to its nearest real row;
    - "real_to_real": the same for real rows to their nearest *other* real row (the yardstick:
      a row about this far from the data is as typical as a real one);
    - "out_of_range": share of rows with a number outside the real data's range;
    - "between_levels": share of rows with a category that is not one of the levels;
    - "unseen_combinations": share of `rows` whose categories combine in a way `real` never does.
    `features` are those of `rows`; distances use the features selected by `inputs` (the target's
    are left out when designing).
    """
    nearest, real_to_real = nearest_distances(real_features[:, inputs], features[:, inputs])
    return {
        "nearest_real": nearest,
        "real_to_real": real_to_real,
        "out_of_range": float(space.out_of_range(features).float().mean()),
        "between_levels": float(space.between_levels(features).float().mean()),
        "unseen_combinations": unseen_combinations(
            real, rows, [b.column for b in space.blocks if b.kind == "categorical"]
        ),
    }


@torch.no_grad()
def nearest_distances(
    reference: torch.Tensor, points: torch.Tensor, limit: int = MAX_REALISM_REFERENCE
) -> tuple[float, float]:
    """Median distance from each point (n, d) to its nearest reference row (m, d), and the yardstick:
    the median distance from each reference row to its nearest *other* reference row.

    At most `limit` reference rows (a seeded subset) are used: all pairs cost m^2 memory and time.
    """
    if len(reference) > limit:
        keep = torch.randperm(len(reference), generator=torch.Generator().manual_seed(0))
        reference = reference[keep[:limit]]
    nearest = torch.cdist(points, reference).min(dim=1).values
    own = torch.cdist(reference, reference)
    own.fill_diagonal_(float("inf"))
    return float(nearest.median()), float(own.min(dim=1).values.median())


def unseen_combinations(real: pd.DataFrame, rows: pd.DataFrame, columns: list[str]) -> float:
    """Share of rows whose combination of values in `columns` never occurs in `real` (0 if < 2 columns).

    A penguin of a species never seen on its island is such a row: each value is valid, the
    combination is not.
    """
    if len(columns) < 2 or len(rows) == 0:
        return 0.0
    seen = set(map(tuple, real[columns].astype(str).to_numpy()))
    combos = map(tuple, rows[columns].astype(str).to_numpy())
    return float(np.mean([combo not in seen for combo in combos]))


def projection(features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """2-D principal-component coordinates of sets of rows, on the real rows' axes.

    features: {set name: (n, width)} plain features, with a "real" set (as `DesignResult.features`
    and `PerturbationResult.features` hold them). The axes are the real rows' first two principal
    components, so every set is placed on the same map as the data. Returns {set: (n, 2)}, same order.
    """
    real = features["real"]
    center = real.mean(axis=0)
    _, _, vt = np.linalg.svd(real - center, full_matrices=False)
    axes = vt[:2].T if vt.shape[0] >= 2 else np.pad(vt.T, ((0, 0), (0, 2 - vt.shape[0])))
    return {name: (values - center) @ axes for name, values in features.items()}
