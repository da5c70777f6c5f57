"""Helpers for the Latent Lab pages, in two parts: `ui.widgets` imports Streamlit, `ui.core` never does.

Nothing in `gen_models` imports from here; the pages import from here and from `gen_models`.
"""
