"""Streamlit-only helpers for the Latent Lab pages: session state, background runs, models, plots.

Nothing in `gen_models` imports from here; the pages import from here and from `gen_models`.
"""
