"""Training: the settings every model shares, the one loop, and the quality monitor (`training.monitor`).

The monitor is imported as `gen_models.training.monitor`, not from here: it scores generated rows with
`gen_models.evaluation`, which the models themselves never need.
"""

from gen_models.training.config import TrainConfig, setting_from_text
from gen_models.training.loop import (
    Callback,
    Metrics,
    Trainable,
    TrainResult,
    resolve_epochs,
    run_training,
    seed_everything,
    select_device,
)

__all__ = [
    "Callback",
    "Metrics",
    "TrainConfig",
    "TrainResult",
    "Trainable",
    "resolve_epochs",
    "run_training",
    "seed_everything",
    "select_device",
    "setting_from_text",
]
