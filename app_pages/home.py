"""Home page: what Latent Lab does, the four steps, the ready-made models, where training runs."""

from __future__ import annotations

import streamlit as st

from gen_models import list_models
from gen_models.catalogue import MODEL_TITLES
from ui.core.startup import gpu_name, torch_ready
from ui.widgets.models import card_figures, card_summary, pretrained_sources
from ui.widgets.state import forget_this_session, session_id

FIGURES_SHOWN = 6  # measured figures listed per pretrained model; the model card on Explore has them all

st.title("Latent Lab")
st.write(
    "Latent Lab lets you see inside generative models — no code needed. Bring a table, images or time "
    "series (or pick an example), train a model that learns to make up new ones like yours, then move its "
    "hidden **latent codes** with sliders to see what it has learnt, and download as many as you want."
)

st.subheader("Four steps")
steps = st.columns(4)
with steps[0]:
    st.page_link("app_pages/data.py", label="1 · Data", icon=":material/table:")
    st.caption("Upload a CSV or pick an example (a table, images or time series), and check how it is read.")
with steps[1]:
    st.page_link("app_pages/train.py", label="2 · Train", icon=":material/model_training:")
    st.caption("Choose a model, start training and watch it learn live.")
with steps[2]:
    st.page_link("app_pages/explore.py", label="3 · Explore", icon=":material/explore:")
    st.caption("Move the latent codes and see the generated rows, images or curves change at once.")
with steps[3]:
    st.page_link("app_pages/generate.py", label="4 · Generate", icon=":material/auto_awesome:")
    st.caption("Make new data and download it as CSV, Parquet or JSON, in the layout of yours.")

st.subheader("Then go further")
more = st.columns(4)
with more[0]:
    st.page_link("app_pages/design.py", label="7 · Design", icon=":material/target:")
    st.caption(
        "Ask for rows with a target value (heavy penguins, hot days) found in the model's latent space, "
        "or new rows near real ones, each beside the naive alternative."
    )
with more[1]:
    st.page_link("app_pages/augment.py", label="8 · Augment", icon=":material/add_chart:")
    st.caption(
        "Do generated rows make a predictive model better? Measured on a real hold-out, honestly: gains and losses."
    )
with more[2]:
    st.page_link("app_pages/learn.py", label="How the models work", icon=":material/school:")
    st.caption("Every architecture explained: its networks, its losses and what to watch in its curves.")
with more[3]:
    st.page_link("app_pages/playground.py", label="2-D playground", icon=":material/scatter_plot:")
    st.caption("Watch a GAN learn points in the plane live, and see mode collapse happen (or not).")

left, right = st.columns(2)
with left:
    st.subheader("Ready to explore")
    pretrained = pretrained_sources()
    if pretrained:
        st.write("These models come already trained, so you can start exploring straight away:")
        for source in pretrained:
            summary = card_summary(source)
            st.markdown(f"**{source.path.name}** — {summary}" if summary else f"**{source.label}**")
            figures = list(card_figures(source).items())[:FIGURES_SHOWN]
            if figures:
                st.caption("Measured: " + " · ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures))
        st.page_link("app_pages/explore.py", label="Explore a pretrained model", icon=":material/explore:")
    else:
        st.write("No pretrained models are installed; train your own in a minute on the Train page.")
with right:
    st.subheader("The models")
    for name, description in list_models().items():
        st.markdown(f"**{MODEL_TITLES[name]}** (`{name}`) — {description}")


st.subheader("Your session")
if st.session_state.pop("session_forgotten", False):
    st.success("The session's runs, models and data are deleted. This is a new session, with a new address.")
st.write(
    "Your data, runs and models are kept under this page's address (its `?session=` part): **bookmark this "
    "address to come back to your runs.** The address is the key: anyone with the link sees and can delete "
    "this session's data and models; the app has no accounts — put it behind a login proxy for shared use."
)
# The link itself, with a copy button: the same address with this session's key.
st.code(f"{(st.context.url or '').split('?')[0]}?session={session_id()}", language=None)
with st.popover("Forget this session", icon=":material/delete_forever:"):
    st.write("Stop any training and delete this session's runs, models and data for good? A new session starts.")
    st.button("Yes, forget it", on_click=forget_this_session, type="primary", key="forget_session")


# No torch on this page, so it opens before torch has loaded (see ui/core/startup.py). Until then this
# line says so and looks again every second; once torch is there the whole page redraws, once,
# and the line is drawn without the polling.
polling = not torch_ready.is_set()


@st.fragment(run_every=1.0 if polling else None)
def device_line(polling: bool) -> None:
    if not torch_ready.is_set():
        st.caption("Checking whether a GPU is available…")
        return
    if polling:
        st.rerun()
    gpu = gpu_name()
    if gpu:
        st.caption(f"Training runs on a GPU: {gpu}.")
    else:
        st.caption(
            "Training runs on the CPU (no GPU found): at the Train page's defaults an example table takes "
            "10 s to about a minute and a half per model (measured on 2 shared cores); MNIST images take minutes."
        )


device_line(polling)
