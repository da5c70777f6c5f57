"""The app's helpers that never import Streamlit: plots, background runs, exports, start-up, the explainers.

Background threads may use anything here, since none of it touches a Streamlit session;
tests/test_ui_layers.py checks that no module here imports Streamlit.
"""
