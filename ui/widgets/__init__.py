"""The parts of the app that import Streamlit: session state, cached model loaders, code sliders, quality panels."""
