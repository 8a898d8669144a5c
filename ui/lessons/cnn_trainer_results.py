"""The trainer after a run (or a loaded checkpoint): the network's answer to one picture layer by layer, its scores on
the test images (bounded by ``core.budgets.EVALUATION_WORK``, kept per model), its checkpoint, and the drawing pad."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
import torch

from core.budgets import (
    EVALUATION_WORK,
    evaluation_images,
)
from core.checkpoints import save_checkpoint
from core.drawing import fit_in_box, prepare_image
from core.images import mosaic, to_gray
from core.model_inside import config_mult_adds, feature_maps
from core.train import UNSURE_BELOW, evaluate, mistakes, top_answers
from ui.jobs.training_job import (
    session_job,
)
from ui.plots.charts import bars_figure, confusion_figure, gallery_figure
from ui.plots.grids import image_figure
from ui.plots.show import plot
from ui.shell.i18n import t, translator
from ui.shell.terms import explained
from ui.shell.url_state import url_choice
from ui.widgets.drawing_pad import drawing_pad
from ui.widgets.image_input import image_picker

MAPS_SHOWN = 16  # feature maps and kernels drawn per layer
SHOWN_SIDE = 112  # the cropped picture is drawn at most this many pixels high and wide


def network_response(model, x: torch.Tensor, classes: list[str], prefix: str, answer: bool = False) -> None:
    """The class probabilities for one ``(1, 1, H, W)`` input (with ``answer``: its three most likely classes in
    words, or that the network is not sure), then each conv block's feature maps."""
    with torch.no_grad():
        probabilities = torch.softmax(model.eval()(x), dim=1)[0].numpy()
    best = int(np.argmax(probabilities))
    plot(st, bars_figure(classes, probabilities, t("cnn_trainer.try.probabilities", label=classes[best],
                                                   p=f"{100 * probabilities[best]:.1f}"), height=230,
                         percent=True),
         key=f"cnn_trainer_{prefix}_probs")
    if answer:
        (first, p_first), *others = top_answers(probabilities)
        listed = [f"{classes[i]} ({100 * p:.1f}%)" for i, p in others]
        if p_first < UNSURE_BELOW:
            st.warning(t("cnn_trainer.try.unsure", listed=t("common.list_separator").join(
                [f"{classes[first]} ({100 * p_first:.1f}%)", *listed])), icon="🤔")
        else:
            st.success(t("cnn_trainer.try.answer", label=classes[first], p=f"{100 * p_first:.1f}",
                         others=t("common.list_separator").join(listed)), icon="✅")
    maps = [(layer, out[0].numpy()) for layer, out in feature_maps(model, x) if layer.endswith("_act")
            and out.dim() == 4]
    if not maps:
        st.caption(t("cnn_trainer.no_maps"))
    for layer, out in maps:
        plot(st, image_figure(mosaic(out[:MAPS_SHOWN]), t("cnn_trainer.try.maps", layer=layer, c=out.shape[0],
                                                         h=out.shape[1], w=out.shape[2], n=MAPS_SHOWN),
                              kind="auto", height=200, colorbar=False),
             key=f"cnn_trainer_{prefix}_maps_{layer}")


def try_it(model, dataset, name: str) -> None:
    """Inference on a picture of the student's: drawn or picked; what the model sees, its answer, its maps."""
    st.subheader(t("cnn_trainer.try.title"))
    explained(t("cnn_trainer.try.intro"))
    controls, view = st.columns([1, 2], gap="medium")
    with controls:
        source = url_choice(st.segmented_control, t("cnn_trainer.try.source"), ("draw", "picture"),
                            key="cnn_trainer_source",
                            name="source", default="draw", format_func=translator("cnn_trainer.try.sources."))
        if source == "draw":
            gray = drawing_pad("cnn_trainer")
        else:
            picked = image_picker("cnn_trainer", default="digit")
            gray = None if picked is None else to_gray(picked.rgb)
    prepared = None if gray is None else prepare_image(gray, name)
    if prepared is None or prepared.blank:
        view.info(t("cnn_trainer.try.draw_something"), icon="✏️")
        return
    with view:
        seen, response = st.columns([1, 2])
        with seen:
            preparation_steps(prepared)
        with response:
            network_response(model, prepared.x, dataset.classes, "try", answer=True)


def preparation_steps(prepared) -> None:
    """The picture on its way to the network: the ink cut out, (digits) fitted into the scans' 32 × 32 bitmap, then
    what the network sees at the data set's resolution."""
    small, cropped = prepared.small, prepared.cropped
    shown = fit_in_box(cropped, SHOWN_SIDE) if max(cropped.shape) > SHOWN_SIDE else cropped  # a photo can be large
    pictures = [("cropped", shown, t("cnn_trainer.try.cropped", h=cropped.shape[0], w=cropped.shape[1]))
                ] if prepared.box is not None else []
    if prepared.fitted.shape != small.shape:
        pictures.append(("fitted", prepared.fitted, t("cnn_trainer.try.fitted", h=prepared.fitted.shape[0],
                                                      w=prepared.fitted.shape[1], slant=f"{prepared.slant:+.2f}")))
    for name, picture, title in pictures:
        plot(st, image_figure(picture, title, kind="gray", height=200, colorbar=False),
             key=f"cnn_trainer_{name}_fig")
    plot(st, image_figure(small, t("cnn_trainer.try.seen", h=small.shape[0], w=small.shape[1]), kind="gray",
                          height=260, colorbar=False), key="cnn_trainer_seen_fig")


def evaluated(model, config, dataset) -> tuple[dict | None, bytes]:
    """The model's scores on ``dataset``'s test images (None when the model does not fit the data set: another
    image size or number of classes) and its checkpoint's bytes: computed once per model and data set and kept in
    the session, so that a refresh of the results costs nothing."""
    kept = st.session_state.get("cnn_trainer_evaluated")
    if kept is not None and kept[0] is model and kept[1] is dataset and kept[2] == config:
        return kept[3], kept[4]
    try:  # a loaded model must fit this data set: same image size, same number of classes
        with torch.no_grad():
            fits = model(dataset.x_test[:2]).shape[1] == len(dataset.classes)
    except RuntimeError:
        fits = False
    scores, checkpoint = None, b""
    if fits and config is not None:
        first = evaluation_images(config_mult_adds(config), len(dataset.y_test))  # the scoring's cost is bounded
        scores, buffer = evaluate(model, dataset, first=first), io.BytesIO()
        save_checkpoint(buffer, model, config)
        checkpoint = buffer.getvalue()
    st.session_state["cnn_trainer_evaluated"] = (model, dataset, config, scores, checkpoint)
    return scores, checkpoint


def results(dataset, preparation: str | None = None, after=None) -> None:
    """After a run (or a loaded model): test accuracy, confusion matrix, per class, mistakes, download, ``after``
    (given the model and its config), try it (pictures prepared as ``preparation``'s, by default the chosen data
    set's)."""
    snap = session_job().snapshot()
    if snap.model is None or snap.status not in ("finished", "stopped", "time_limit", "loaded"):
        return
    config = st.session_state.get("cnn_trainer_run", (None, None))[0]
    model = snap.model.cpu().eval()
    scores, checkpoint = evaluated(model, config, dataset)
    if scores is None or config is None:
        st.error(t("common.network.wrong_data"), icon="🧾")
        return
    st.subheader(t("cnn_trainer.results", accuracy=f"{100 * scores['accuracy']:.2f}"))
    scored, total = len(scores["predicted"]), len(dataset.y_test)
    if scored < total:
        st.info(t("cnn_trainer.scored_first", n=f"{scored:,}", total=f"{total:,}",
                  work=f"{config_mult_adds(config) * total:,}", limit=f"{EVALUATION_WORK.limit:,}"), icon="⏱️")
    left, right = st.columns(2)
    confusion = np.asarray(scores["confusion"])
    plot(left, confusion_figure(confusion, dataset.classes, t("cnn_trainer.confusion"),
                                t("cnn_trainer.confusion_true"), t("cnn_trainer.confusion_predicted")),
         key="cnn_trainer_confusion_fig")
    plot(right, bars_figure(dataset.classes, scores["per_class"], t("cnn_trainer.per_class"), height=380,
                            percent=True),
         key="cnn_trainer_per_class_fig")
    wrong = mistakes(scores, dataset)
    if wrong:
        st.markdown(t("cnn_trainer.mistakes", n=sum(r != c for r, c in zip(dataset.y_test[:scored].tolist(),
                                                                            scores["predicted"], strict=True))))
        plot(st, gallery_figure([dataset.x_test[i, 0].numpy() for i, _, _ in wrong], [
            t("cnn_trainer.mistake", true=dataset.classes[true], predicted=dataset.classes[predicted])
            for _, true, predicted in wrong]), key="cnn_trainer_mistakes_fig")
    st.download_button(t("cnn_trainer.download"), checkpoint, file_name="cnn_trainer_checkpoint.pt",
                       mime="application/octet-stream", key="cnn_trainer_download", icon=":material/download:")
    if after is not None:
        after(model, config)
    try_it(model, dataset, preparation or st.session_state.get("cnn_trainer_data", "digits"))
