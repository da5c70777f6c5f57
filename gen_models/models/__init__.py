"""The registry of architectures: name -> class, as used by the command line and `create`."""

from gen_models.models.aae import AAE
from gen_models.models.autoregressive import Autoregressive
from gen_models.models.base import GenerativeModel, LatentCode
from gen_models.models.bigan import BiGAN
from gen_models.models.cgan import CGAN
from gen_models.models.flow import Flow
from gen_models.models.gan import GAN
from gen_models.models.infogan import InfoGAN
from gen_models.models.mmd import MMD
from gen_models.models.rcgan import RCGAN
from gen_models.models.series_ar import SeriesAR
from gen_models.models.vae import VAE
from gen_models.models.wgan_gp import WGANGP

REGISTRY: dict[str, type[GenerativeModel]] = {
    cls.name: cls for cls in (GAN, CGAN, WGANGP, VAE, RCGAN, AAE, BiGAN, InfoGAN, Autoregressive, Flow, MMD, SeriesAR)
}

__all__ = [
    "REGISTRY",
    "GenerativeModel",
    "LatentCode",
    "GAN",
    "CGAN",
    "WGANGP",
    "VAE",
    "RCGAN",
    "AAE",
    "BiGAN",
    "InfoGAN",
    "Autoregressive",
    "Flow",
    "MMD",
    "SeriesAR",
]
