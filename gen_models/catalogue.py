"""What Latent Lab offers, readable without loading torch: the app's first page lists it.

- `MODEL_DESCRIPTIONS`: registry name -> one-line description, in registry order; each model
  class takes its `description` from here, and `gen_models.models.REGISTRY` must list the same
  names in the same order (a test checks it).
- `MODEL_TITLES`: registry name -> the short name the app shows (Home, Train, Learn).
- The file names of a saved model directory (`gen_models.checkpoint` reads and writes them).
"""

from __future__ import annotations

MODEL_DESCRIPTIONS: dict[str, str] = {
    "gan": "Vanilla GAN: generator vs discriminator with the original cross-entropy loss.",
    "cgan": "Conditional GAN: generator and discriminator both see a category label; sample any label on demand.",
    "wgan_gp": (
        "Wasserstein GAN with gradient penalty: softmax per category column, a critic loss that tracks quality."
    ),
    "vae": "Variational autoencoder: encodes rows into a smooth latent space and decodes new rows from it.",
    "rcgan": "Recurrent conditional GAN: LSTM generator and discriminator for labelled time series.",
    "aae": "Adversarial autoencoder: an autoencoder whose codes a discriminator pushes onto a chosen prior.",
    "bigan": "BiGAN: a GAN plus an encoder, trained together so the encoder inverts the generator.",
    "infogan": "InfoGAN: a GAN whose categorical and continuous codes learn to control clear features, unsupervised.",
    "autoregressive": (
        "Autoregressive: draws a row one column at a time, each from its distribution given the columns before it."
    ),
    "flow": "Normalizing flow: an exact, invertible map between rows and Gaussian codes, with each row's likelihood.",
    "mmd": "Moment-matching network: a generator trained to shrink the MMD distance to real rows, no discriminator.",
    "series_ar": (
        "Autoregressive series model: draws a time series one step at a time, each change given the steps before it."
    ),
}

MODEL_TITLES: dict[str, str] = {
    "gan": "GAN",
    "cgan": "Conditional GAN",
    "wgan_gp": "WGAN-GP",
    "vae": "Variational autoencoder",
    "rcgan": "Recurrent conditional GAN",
    "aae": "Adversarial autoencoder",
    "bigan": "BiGAN",
    "infogan": "InfoGAN",
    "autoregressive": "Autoregressive model",
    "flow": "Normalizing flow",
    "mmd": "Moment-matching network",
    "series_ar": "Autoregressive series model",
}

WEIGHTS_FILE = "weights.safetensors"  # every network's tensors, keyed "<network>.<parameter>"
META_FILE = "model.json"  # everything else: architecture, config, schema, encoder, codes, history
