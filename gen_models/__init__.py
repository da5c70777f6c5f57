"""Latent Lab generative models library."""
