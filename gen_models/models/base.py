"""What every architecture shares: data preparation, conditioning, latent codes and sampling.

A model module subclasses `GenerativeModel` and writes only what differs:
- `Config`: a dataclass extending `TrainConfig` with its own settings, checked in `__post_init__`;
- `build(data_dim, cond_dim)`: create `self.networks` (an `nn.ModuleDict`, name -> network) and optimisers;
- `train_step(x, c)`: one optimisation step on a batch, returning its losses as floats;
- `latent_codes()`: the description of its latent space, one `LatentCode` per slider;
- `generate(z, c, generator)`: latent vectors (+ conditions) -> encoded rows.
Fitting, the training loop, sampling with fixed codes, conditions and the model's state
(`to_state` / `from_state`, which `save` and `gen_models.load` hand to `checkpoint`) live here once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from gen_models.checkpoint import write_model
from gen_models.data import TableSchema, infer_schema, validate_table
from gen_models.data.encoders import encoder_from_dict, make_encoder
from gen_models.data.layouts import DataLayout
from gen_models.data.schema import conditionable_columns
from gen_models.errors import CheckpointError, DataError, ModelError
from gen_models.latent.directions import Directions, directions_of, move
from gen_models.training import (
    Callback,
    Metrics,
    TrainConfig,
    TrainResult,
    distributed,
    run_training,
    seed_everything,
    select_device,
)
from gen_models.training.config import MAX_SEED, check_whole, config_from_dict

# A code far outside its prior means nothing and overflows float32 (1e308); sliders offer a few units.
MAX_CODE_MAGNITUDE = 1e6


@dataclass(frozen=True)
class LatentCode:
    """One named part of a model's latent vector: what a slider or selector controls.

    A continuous code is one number drawn from its prior ("normal" with `std`, or "uniform" on
    [low, high]); [low, high] is the range a slider should offer. A categorical code is a one-hot
    block over `levels`, drawn uniformly. `role` is "code" for dimensions meant to carry meaning
    and "noise" for plain generator noise (still adjustable, but unnamed by training).
    """

    name: str
    kind: str  # "continuous" | "categorical"
    meaning: str
    low: float = -3.0
    high: float = 3.0
    levels: tuple[Any, ...] = ()
    prior: str = "normal"  # "normal" | "uniform" | "categorical"
    std: float = 1.0
    role: str = "code"
    # A uniform prior's range when it is narrower than the slider's (InfoGAN trains on [-1, 1]
    # but offers [-2, 2] to extrapolate); None = [low, high].
    prior_range: tuple[float, float] | None = None

    @property
    def width(self) -> int:
        return len(self.levels) if self.kind == "categorical" else 1

    def to_dict(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "categorical":
            info["levels"] = list(self.levels)
        else:
            info.update(low=self.low, high=self.high, prior=self.prior)
            if self.prior == "normal":
                info["std"] = self.std
            if self.prior_range is not None:
                info["prior_range"] = list(self.prior_range)
        info.update(meaning=self.meaning, role=self.role)
        return info


def noise_codes(dim: int, std: float = 1.0) -> list[LatentCode]:
    """`dim` standard-normal noise dimensions named z0, z1, ... with sliders over ±3 std."""
    return [
        LatentCode(
            name=f"z{i}",
            kind="continuous",
            meaning=f"noise dimension {i}: no meaning is imposed by training",
            low=-3.0 * std,
            high=3.0 * std,
            std=std,
            role="noise",
        )
        for i in range(dim)
    ]


class GenerativeModel:
    """Base class: hyperparameters go to the constructor, data to `fit(df)`, `sample(n)` gives a DataFrame."""

    name: ClassVar[str]
    description: ClassVar[str]  # one line, shown by `list` and in the app
    Config: ClassVar[type[TrainConfig]] = TrainConfig
    supports_condition: ClassVar[bool] = False  # can train conditioned on a categorical column
    needs_condition: ClassVar[bool] = False  # must be given one (CGAN)
    has_encoder: ClassVar[bool] = False  # can map real rows to codes (`encode`)
    data_kinds: ClassVar[tuple[str, ...]] = ("table", "images", "sequences")  # every model sees flat rows

    def __init__(self, config: TrainConfig | None = None, **settings: Any):
        if config is None:
            valid = {f.name for f in dataclasses.fields(self.Config)}
            unknown = sorted(set(settings) - valid)
            if unknown:
                raise ModelError(
                    f"{self.name} has no setting {', '.join(map(repr, unknown))}. "
                    f"Its settings are: {', '.join(sorted(valid))}."
                )
            config = self.Config(**settings)
        elif settings:
            config = dataclasses.replace(config, **settings)
        self.config = config
        # Every network, by name; its state_dict() keys are "<network>.<parameter>", as saved on disk.
        self.networks = nn.ModuleDict()
        self.schema: TableSchema | None = None
        self.layout = DataLayout()
        self.encoder: Any = None  # TabularEncoder, ImageEncoder or SequenceEncoder (gen_models.data.layouts)
        self.condition_column: str | None = None
        self.condition_levels: list[Any] = []
        self.condition_frequencies: list[float] = []
        self.history: list[Metrics] = []
        self.result: TrainResult | None = None
        self.extra: dict[str, Any] = {}  # notes saved with the model, e.g. {"dataset": "penguins"}
        # Discovered directions (gen_models.latent.directions.Directions): saved with the model, or found on
        # first use and kept here, since finding them samples the model a few thousand times.
        self.directions_: Directions | None = None
        self.device = torch.device("cpu")

    # ----- what each architecture writes -------------------------------------------------
    def build(self, data_dim: int, cond_dim: int) -> None:
        raise NotImplementedError

    def train_step(self, x: torch.Tensor, c: torch.Tensor | None) -> dict[str, float]:
        raise NotImplementedError

    def latent_codes(self) -> list[LatentCode]:
        raise NotImplementedError

    def generate(self, z: torch.Tensor, c: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
        """z: (n, latent_width), c: (n, cond_dim) or None -> encoded rows (n, data_dim)."""
        raise NotImplementedError

    def make_encoder(self, layout: DataLayout, schema: TableSchema) -> Any:
        """The (unfitted) encoder `fit` uses: the layout's usual one; a model may pick its own."""
        return make_encoder(layout, schema, seed=self.config.seed)

    # ----- fitting ---------------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        return self.encoder is not None and bool(self.networks)

    def fit(
        self,
        data: pd.DataFrame,
        *,
        condition: str | None = None,
        layout: DataLayout | None = None,
        kinds: dict[str, str] | None = None,
        discrete: list[str] | None = None,
        schema: TableSchema | None = None,
        on_step: Callback | None = None,
        on_epoch: Callback | None = None,
        stop_event: threading.Event | None = None,
        start_epoch: int = 0,
    ) -> TrainResult:
        """Learn the distribution of `data`'s rows (or images, or sequences: see `layout`).

        condition: a categorical column to condition on (required for CGAN, optional for WGAN-GP);
            for images and sequences, the layout's label column.
        layout: what one item is (default: a table row); see `gen_models.data.layouts`.
        kinds / discrete: override the inferred kind of table columns (see `infer_schema`).
        on_step, on_epoch, stop_event: see `training.run_training`.
        start_epoch: resume a fitted model (e.g. an epoch snapshot loaded with `gen_models.load`) that has
            done this many epochs of its budget, on the same data: see `_continue_fit`.
        Started by torchrun (`training.distributed`), each process trains on its shard of the rows, in step.
        The result says whether training finished, was stopped, or diverged (weights then
        roll back to the last good epoch). Data problems raise `DataError`.
        """
        if start_epoch:
            return self._continue_fit(data, condition, start_epoch, on_step, on_epoch, stop_event)
        layout = layout or DataLayout()
        if layout.kind not in self.data_kinds:
            raise ModelError(f"{self.name} works on {' and '.join(self.data_kinds)}, not {layout.kind}.")
        schema = schema or infer_schema(data, overrides=kinds, discrete=discrete)
        if layout.kind == "table":
            validate_table(data, schema)
        elif len(data) == 0:
            raise DataError("The table has no rows.")
        self._check_condition(condition, schema, layout)
        seed_everything(self.config.seed)
        self.schema, self.layout = schema, layout
        if distributed.active():
            # Fitted once, on rank 0, and sent as model.json's description; each rank then encodes its own rows.
            fitted = self.make_encoder(layout, schema).fit(data).to_dict() if distributed.rank() == 0 else None
            self.encoder = encoder_from_dict(distributed.broadcast_json(fitted))
            data = distributed.own_rows(data)
        else:
            self.encoder = self.make_encoder(layout, schema).fit(data)
        x = torch.from_numpy(self.encoder.transform(data))
        c = None
        self.condition_column = condition
        if condition is not None:
            c = torch.from_numpy(self.encoder.condition_matrix(data, condition))
            self.condition_levels = list(self.encoder.levels(condition))
            shares = distributed.summed(c.sum(dim=0)) if distributed.active() else c.mean(dim=0)
            self.condition_frequencies = (shares / shares.sum()).tolist()
        self.device = select_device(self.config.device)
        self.networks = nn.ModuleDict()
        self.history = []
        self.directions_ = None  # found for the old weights
        self.build(x.shape[1], 0 if c is None else c.shape[1])
        self.networks.to(self.device)
        if distributed.active():  # equal weights everywhere, equal (averaged) updates; each rank its own noise
            distributed.broadcast_state(self.networks)
            distributed.average_gradients_before_steps(self)
            torch.manual_seed(self.config.seed + distributed.rank())
        x, c = self.split_validation(x, c)
        self.result = run_training(
            self,
            x.to(self.device),
            None if c is None else c.to(self.device),
            self.config,
            history=self.history,
            on_step=on_step,
            on_epoch=on_epoch,
            stop_event=stop_event,
        )
        return self.result

    def _continue_fit(
        self,
        data: pd.DataFrame,
        condition: str | None,
        start_epoch: int,
        on_step: Callback | None,
        on_epoch: Callback | None,
        stop_event: threading.Event | None,
    ) -> TrainResult:
        """`fit(data, start_epoch=k)`: train on for the epochs after k, keeping the encoder, weights and history.

        The optimisers start afresh (their state is not saved with a model); the batch order is the
        one a run from the start draws, the noise is seeded by seed + k. Raises ModelError when the
        model is not fitted, the condition differs or no epoch is left, DataError for data problems.
        """
        encoder = self._require_fitted()
        assert self.schema is not None
        check_whole("start_epoch", start_epoch, 1)
        if condition != self.condition_column:
            raise ModelError(
                f"This model was trained with the condition {self.condition_column!r}: resume it with that, "
                f"not {condition!r}."
            )
        if self.layout.kind == "table":
            validate_table(data, self.schema)
        elif len(data) == 0:
            raise DataError("The table has no rows.")
        seed_everything(self.config.seed + start_epoch)  # not the first epochs' noise over again
        x = torch.from_numpy(encoder.transform(data))
        c = None if condition is None else torch.from_numpy(encoder.condition_matrix(data, condition))
        self.device = select_device(self.config.device)
        weights = {key: value.detach().clone() for key, value in self.networks.state_dict().items()}
        self.networks = nn.ModuleDict()
        self.build(x.shape[1], 0 if c is None else c.shape[1])  # networks and their optimisers, new ...
        self.networks.load_state_dict(weights)  # ... with the weights so far
        self.networks.to(self.device)
        x, c = self.split_validation(x, c)
        # A model stopped during an epoch (Ctrl-C) has that epoch's first steps in its history: they are done again.
        self.history = [record for record in self.history if record["epoch"] <= start_epoch]
        self.result = run_training(
            self,
            x.to(self.device),
            None if c is None else c.to(self.device),
            self.config,
            history=self.history,
            on_step=on_step,
            on_epoch=on_epoch,
            stop_event=stop_event,
            start_epoch=start_epoch,
        )
        return self.result

    def split_validation(self, x: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The encoded rows (and conditions) the training loop sees; a model that stops early keeps some
        back here to judge itself on in `end_epoch`. By default every row trains."""
        return x, c

    def end_epoch(self, epoch: int, epochs: int) -> str | None:
        """Called by the training loop after each epoch: a sentence saying why to stop now, or None to go on."""
        return None

    def _check_condition(self, condition: str | None, schema: TableSchema, layout: DataLayout) -> None:
        categorical = conditionable_columns(schema, layout)
        if condition is None:
            if self.needs_condition:
                hint = (
                    f" Categorical columns here: {', '.join(categorical)}."
                    if categorical
                    else (" This table has no categorical column.")
                )
                raise DataError(f"{self.name} needs a condition column: choose a categorical column.{hint}")
            return
        if not self.supports_condition:
            raise ModelError(f"{self.name} cannot be conditioned on a column; use cgan or wgan_gp for that.")
        if condition not in [col.name for col in schema.columns]:
            raise DataError(f"There is no column '{condition}' to condition on.", column=condition)
        if layout.kind != "table" and condition != layout.label:
            raise DataError(
                f"With {layout.kind}, the condition must be the label column"
                + (f" ('{layout.label}')." if layout.label else "; this data has none."),
                column=condition,
            )
        if layout.kind == "table" and schema.column(condition).kind != "categorical":
            raise DataError(
                f"The condition column '{condition}' must be categorical, but it is "
                f"{schema.column(condition).kind}. Categorical columns: {', '.join(categorical) or 'none'}.",
                column=condition,
            )

    # ----- sampling --------------------------------------------------------------------------
    def _require_fitted(self) -> Any:
        if self.encoder is None or not self.networks:
            raise ModelError(f"This {self.name} model has not been trained yet: call fit(data) first.")
        return self.encoder

    def draw_latent(self, n: int, codes: dict[str, Any] | None, generator: torch.Generator) -> torch.Tensor:
        """(n, latent_width) latent vectors: fixed values for the named codes, the prior for the rest."""
        layout = self.latent_codes()
        codes = dict(codes or {})
        unknown = sorted(set(codes) - {code.name for code in layout})
        if unknown:
            raise ModelError(
                f"{self.name} has no code {', '.join(map(repr, unknown))}. "
                f"Its codes are: {', '.join(code.name for code in layout)}."
            )
        blocks = []
        for code in layout:
            if code.kind == "categorical":
                if code.name in codes:
                    index = torch.full((n,), _level_index(code, codes[code.name]), dtype=torch.long)
                else:
                    index = torch.randint(len(code.levels), (n,), generator=generator)
                blocks.append(nn.functional.one_hot(index, len(code.levels)).float())
            elif code.name in codes:
                blocks.append(torch.full((n, 1), _code_number(code, codes[code.name])))
            elif code.prior == "uniform":
                low, high = code.prior_range or (code.low, code.high)
                blocks.append(low + (high - low) * torch.rand(n, 1, generator=generator))
            else:
                blocks.append(code.std * torch.randn(n, 1, generator=generator))
        return torch.cat(blocks, dim=1)

    def condition_tensor(self, n: int, condition: Any, generator: torch.Generator) -> torch.Tensor | None:
        """(n, cond_dim) one-hot conditions: the given value, or drawn at the training frequencies."""
        encoder = self._require_fitted()
        if self.condition_column is None:
            if condition is not None:
                raise ModelError(f"This {self.name} model was trained without a condition column.")
            return None
        if condition is None:
            weights = torch.tensor(self.condition_frequencies)
            index = torch.multinomial(weights, n, replacement=True, generator=generator)
            return nn.functional.one_hot(index, len(self.condition_levels)).float()
        return torch.from_numpy(encoder.one_hot(self.condition_column, [condition] * n))

    @torch.no_grad()
    def sample_with_condition(
        self,
        n: int,
        codes: dict[str, Any] | None = None,
        condition: Any = None,
        seed: int | None = None,
        directions: dict[str, float] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(n, data_dim) encoded items and their (n, cond_dim) one-hot conditions (or None), on the CPU.

        directions: {name: value} along the model's discovered directions (`gen_models.latent.directions`).
        The same seed and arguments give the same items.
        """
        self._require_fitted()
        if n < 1:
            raise ModelError(f"The number of rows must be at least 1 (got {n}).")
        generator = torch.Generator()
        if seed is not None:
            check_whole("seed", seed, 0, MAX_SEED)
        generator.manual_seed(int(seed) if seed is not None else int(torch.seed() % 2**63))
        z = self.move_along(self.draw_latent(n, codes, generator), directions, codes).to(self.device)
        c = self.condition_tensor(n, condition, generator)
        c = None if c is None else c.to(self.device)
        with self._eval_mode():  # sampling in train mode (CTGAN's bug) makes batch norm depend on the batch
            out = self.generate(z, c, generator)
        return out.cpu(), None if c is None else c.cpu()

    def move_along(
        self, z: torch.Tensor, directions: dict[str, float] | None, codes: dict[str, Any] | None = None
    ) -> torch.Tensor:
        """Latent vectors (n, latent_width) set to the given values along discovered directions; held codes stay."""
        if not directions:
            return z
        return move(self, z, directions, directions_of(self), held=tuple(codes or {}))

    def generate_from_latent(self, z: torch.Tensor, c: torch.Tensor | None = None, seed: int = 0) -> torch.Tensor:
        """Given latent vectors (n, latent_width) [+ one-hot conditions (n, cond_dim)] -> encoded items (n, data_dim).

        In eval mode and *not* under no_grad: gradients flow back to `z`, which is what a search
        in latent space needs (`gen_models.latent.design`). Any randomness inside the generator (Gumbel
        noise on categories) comes from `seed`, so the same z and seed give the same items.
        """
        self._require_fitted()
        if z.ndim != 2:
            shape = tuple(z.shape)
            raise ModelError(f"Latent vectors must be a 2-D array (items x {self.latent_width}), got shape {shape}.")
        if z.shape[1] != self.latent_width:
            raise ModelError(f"{self.name} takes latent vectors of width {self.latent_width}, not {z.shape[1]}.")
        if self.condition_column is not None and c is None:
            raise ModelError(f"This {self.name} model needs a value of '{self.condition_column}' for every item.")
        generator = torch.Generator().manual_seed(int(seed))
        with self._eval_mode():
            return self.generate(z.to(self.device), None if c is None else c.to(self.device), generator)

    @property
    def latent_width(self) -> int:
        """Width of one latent vector: the sum of the widths of `latent_codes()`."""
        return sum(code.width for code in self.latent_codes())

    def conditions_of(self, data: pd.DataFrame) -> torch.Tensor | None:
        """(n_items, cond_dim) one-hot condition values of real items, or None for an unconditioned model."""
        encoder = self._require_fitted()
        if self.condition_column is None:
            return None
        return torch.from_numpy(encoder.condition_matrix(data, self.condition_column))

    @contextlib.contextmanager
    def _eval_mode(self) -> Iterator[None]:
        """Run the block with every network in eval mode, then put them back (the monitor samples mid-training)."""
        was_training = self.networks.training
        self.networks.eval()
        try:
            yield
        finally:
            self.networks.train(was_training)

    @torch.no_grad()
    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Codes of real items (rows, images or sequences): (n_items, code_width), on the sliders' axes.

        Only for models with an encoder (`has_encoder`): VAE, AAE, BiGAN.
        """
        if not self.has_encoder:
            raise ModelError(f"{self.name} has no encoder: it cannot map real rows to codes.")
        encoder = self._require_fitted()
        x = torch.from_numpy(encoder.transform(data)).to(self.device)
        with self._eval_mode():
            codes = self.encode_encoded(x)
        return codes.cpu().numpy()

    def encode_encoded(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder-owning models: encoded items (n, data_dim) -> codes (n, code_width)."""
        raise NotImplementedError

    def sample_encoded(
        self,
        n: int,
        codes: dict[str, Any] | None = None,
        condition: Any = None,
        seed: int | None = None,
        directions: dict[str, float] | None = None,
    ) -> torch.Tensor:
        """(n, data_dim) encoded items on the CPU, e.g. images as (n, H*W) in [-1, 1]."""
        return self.sample_with_condition(n, codes, condition, seed, directions)[0]

    def decode(self, x: torch.Tensor, c: torch.Tensor | None = None) -> pd.DataFrame:
        """Encoded items (n, data_dim) [+ one-hot conditions] -> rows in the training data's layout."""
        encoder = self._require_fitted()
        return encoder.inverse_transform(x.numpy(), condition=None if c is None else c.numpy())

    @torch.no_grad()
    def decode_codes(self, codes: np.ndarray, conditions: np.ndarray | None = None) -> pd.DataFrame:
        """Rows from given codes: (n, latent_width) codes [+ (n, cond_dim) one-hot conditions] -> n rows.

        Deterministic: any noise inside the generator (Gumbel draws of categories) comes from seed 0. With
        `encode` it is the encode-and-edit pair of encoder-owning models: `decode_codes(encode(df))` rebuilds
        the rows as the model sees them (exactly, for the flow).
        """
        z = torch.as_tensor(np.asarray(codes, dtype=np.float32))
        c = None if conditions is None else torch.as_tensor(np.asarray(conditions, dtype=np.float32))
        return self.decode(self.generate_from_latent(z, c, seed=0).cpu(), c)

    def sample(
        self,
        n: int,
        codes: dict[str, Any] | None = None,
        condition: Any = None,
        seed: int | None = None,
        fixed: dict[str, Any] | None = None,
        directions: dict[str, float] | None = None,
    ) -> pd.DataFrame:
        """n new items (rows, images or sequences) with the training columns, order and dtypes.

        codes: values for any latent codes ({name: number or level}); the rest are drawn.
        directions: values along discovered directions ({name: value in prior stds}, see
            `gen_models.latent.directions`); codes given in `codes` keep their values.
        condition: a level of the condition column, for conditional models.
        fixed: values for some columns ({column: value}) and the rest filled in to suit them; only
            models that fill in rows (autoregressive) take it.
        Sequences in long format come back as n sequences of T rows each.
        """
        if fixed:
            raise ModelError(
                f"{self.name} cannot fix columns and fill in the rest; the autoregressive model can "
                "(or condition on a categorical column with a model that supports conditions)."
            )
        return self.decode(*self.sample_with_condition(n, codes, condition, seed, directions))

    # ----- helpers for subclasses ----------------------------------------------------------------
    def with_condition(self, rows: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """Overwrite the condition column's one-hot span in encoded rows (n, data_dim) with c."""
        if c is None or self.condition_column is None or not self.encoder.condition_in_rows:
            return rows
        span = self.encoder.category_span(self.condition_column)
        return torch.cat([rows[:, : span.start], c, rows[:, span.start + span.width :]], dim=1)

    # ----- the model's state --------------------------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Everything needed to rebuild this model: (JSON-friendly metadata, weights).

        The weights are every network's tensors, on the CPU, keyed "<network>.<parameter>"
        (`self.networks.state_dict()`). `from_state` reverses this; `checkpoint` writes both to files.
        """
        encoder = self._require_fitted()
        assert self.schema is not None
        condition = None
        if self.condition_column is not None:
            condition = {
                "column": self.condition_column,
                "values": list(self.condition_levels),
                "frequencies": list(self.condition_frequencies),
            }
        meta = {
            "model": self.name,
            "config": dataclasses.asdict(self.config),
            "layout": self.layout.to_dict(),
            "schema": self.schema.to_dict(),
            "encoder": encoder.to_dict(),
            "condition": condition,
            "codes": [code.to_dict() for code in self.latent_codes()],
            "result": dataclasses.asdict(self.result) if self.result is not None else None,
            "history": self.history,
            "extra": dict(self.extra),
        }
        if self.directions_ is not None:
            meta["directions"] = self.directions_.to_dict()
        tensors = {key: value.detach().cpu().contiguous() for key, value in self.networks.state_dict().items()}
        return meta, tensors

    @classmethod
    def from_state(cls, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> GenerativeModel:
        """Rebuild a model from `to_state`'s metadata and weights, in eval mode, ready to sample.

        The config is checked and the networks built from the metadata before any weight is
        loaded, so the sizes in the weights are never trusted. Raises CheckpointError when the
        metadata is incomplete or inconsistent, or the weights do not fit the networks it describes.
        """
        if meta.get("model") != cls.name:
            raise CheckpointError(f"The saved model is a {meta.get('model')!r} model, not a {cls.name} one.")
        try:
            model = cls(config_from_dict(cls.Config, meta["config"]))
            model.schema = TableSchema.from_dict(meta["schema"])
            model.layout = DataLayout.from_dict(meta.get("layout") or {})
            model.encoder = encoder_from_dict(meta["encoder"])
            condition = meta.get("condition")
            if condition is not None:
                model.condition_column = condition["column"]
                model.condition_levels = list(condition["values"])
                model.condition_frequencies = list(condition["frequencies"])
            model.history = list(meta.get("history") or [])
            model.extra = dict(meta.get("extra") or {})
            if meta.get("result"):
                model.result = TrainResult(**meta["result"])
            # Sizes come from model.json, which may be edited: build on the meta device first (no memory), and
            # only build for real once every shape the metadata implies matches the saved weights.
            with torch.device("meta"):
                model.build(model.encoder.output_dim, len(model.condition_levels))
            _check_shapes(model.networks.state_dict(), tensors, cls.name)
            model.networks = nn.ModuleDict()
            model.build(model.encoder.output_dim, len(model.condition_levels))
        except (KeyError, TypeError, ValueError) as err:  # ModelError is a ValueError: a bad saved setting
            raise CheckpointError(f"The saved metadata is incomplete or inconsistent: {err}") from None
        try:
            model.networks.load_state_dict(tensors, strict=True)
        except RuntimeError as err:
            raise CheckpointError(f"The saved weights do not fit this {cls.name} model: {err}") from None
        model.networks.eval()
        if meta.get("directions") is not None:
            model.directions_ = Directions.from_dict(meta["directions"], model)
        return model

    def save(
        self,
        directory: str | os.PathLike,
        extra: dict[str, Any] | None = None,
        *,
        add_extra: dict[str, Any] | None = None,
    ) -> Path:
        """Write weights (safetensors) and everything else (JSON) to `directory`; see `checkpoint`.

        extra: JSON-friendly notes kept in model.json, e.g. {"dataset": "penguins"}; they replace
            the model's own notes (`self.extra`).
        add_extra: notes for this directory only, written over the model's own, which stay as
            they are (an epoch snapshot's score).
        """
        if extra is not None:
            self.extra = dict(extra)
        meta, tensors = self.to_state()
        if add_extra:
            meta["extra"] = {**meta["extra"], **add_extra}
        return write_model(directory, meta, tensors)

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary: the `info --json` contract.

        "directions" lists the discovered directions as {"name", "label", "effects"}; a model saved without
        them finds them now (a few seconds at most, once per model object).
        """
        encoder = self._require_fitted()
        try:
            directions = directions_of(self).items
        except ModelError:  # outputs that cannot be measured (a diverged model): described, without directions
            directions = ()
        condition = None
        if self.condition_column is not None:
            condition = {"column": self.condition_column, "values": list(self.condition_levels)}
        return {
            "model": self.name,
            "layout": self.layout.to_dict(),
            "columns": list(encoder.columns),
            "codes": [code.to_dict() for code in self.latent_codes()],
            "condition": condition,
            "directions": [{"name": d.name, "label": d.label, "effects": d.effects} for d in directions],
        }


def _level_index(code: LatentCode, value: Any) -> int:
    for i, level in enumerate(code.levels):
        if value == level or str(value) == str(level):
            return i
    raise ModelError(f"Code '{code.name}' has no level {value!r}; its levels are {', '.join(map(str, code.levels))}.")


def _code_number(code: LatentCode, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"Code '{code.name}' takes a number, not {value!r}.") from None
    if not np.isfinite(number) or abs(number) > MAX_CODE_MAGNITUDE:
        raise ModelError(
            f"Code '{code.name}' takes a number between {-MAX_CODE_MAGNITUDE:g} and {MAX_CODE_MAGNITUDE:g} "
            f"(its slider offers {code.low:g} to {code.high:g}), not {value!r}."
        )
    return number


def _check_shapes(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor], name: str) -> None:
    """Refuse weights whose names or shapes differ from what the metadata's networks need (CheckpointError)."""
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"The saved weights do not fit this {name} model: missing {missing[:3]}, unexpected {extra[:3]}."
        )
    for key, tensor in expected.items():
        if tuple(tensor.shape) != tuple(found[key].shape):
            raise CheckpointError(
                f"The saved weights do not fit this {name} model: '{key}' is {tuple(found[key].shape)} in the "
                f"weights but {tuple(tensor.shape)} by the metadata."
            )
