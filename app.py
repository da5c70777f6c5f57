"""Latent Lab: bring data, train a generative model, explore its latent codes, generate rows.

Run with: streamlit run app.py
This file sets up the page, the session id and the navigation; each page lives in app_pages/.
(Not pages/: Streamlit treats a folder named pages/ as old-style auto-discovered pages until the
first session calls st.navigation, so a first visit straight to /explore would skip this file.)
"""

import streamlit as st

from ui.core import runs
from ui.core.startup import load_torch_in_background
from ui.widgets.state import session_id

st.set_page_config(page_title="Latent Lab", page_icon="🧪", layout="wide")

sid = session_id()

pages = {
    "Work with a model": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/data.py", title="1 · Data", icon=":material/table:"),
        st.Page("app_pages/train.py", title="2 · Train", icon=":material/model_training:"),
        st.Page("app_pages/explore.py", title="3 · Explore", icon=":material/explore:"),
        st.Page("app_pages/generate.py", title="4 · Generate", icon=":material/auto_awesome:"),
        st.Page("app_pages/evaluate.py", title="5 · Evaluate", icon=":material/fact_check:"),
        st.Page("app_pages/compare.py", title="6 · Compare", icon=":material/leaderboard:"),
        st.Page("app_pages/design.py", title="7 · Design", icon=":material/target:"),
        st.Page("app_pages/augment.py", title="8 · Augment", icon=":material/add_chart:"),
    ],
    "Learn": [
        st.Page("app_pages/learn.py", title="How the models work", icon=":material/school:"),
        st.Page("app_pages/playground.py", title="2-D playground", icon=":material/scatter_plot:"),
    ],
}
navigation = st.navigation(pages)

for run in runs.session_runs(sid):  # at most one is active: a session trains one run at a time
    if run.running:
        doing = "Waiting to train" if run.info.status == "queued" else "Training now"
        st.sidebar.caption(f"{doing}: {run.info.model} (see the Train page).")

navigation.run()

# After the page is drawn, so the first visit is not slowed by it: torch and the model code load
# in the background (once per server process) and set torch to one thread per worker.
load_torch_in_background()
