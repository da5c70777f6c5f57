"""Error types whose messages are written for the person using Latent Lab.

The command line prints these messages and exits non-zero; the app shows them next to the
input that caused them. Anything else escaping is a bug.
"""

from gen_models.data.errors import DataError


class ModelError(ValueError):
    """A model was asked for something it cannot do: unknown name, bad setting, unknown code."""


class CheckpointError(ValueError):
    """A model directory is missing, truncated, tampered with or not a Latent Lab model."""


USER_ERRORS = (DataError, ModelError, CheckpointError)

__all__ = ["DataError", "ModelError", "CheckpointError", "USER_ERRORS"]
