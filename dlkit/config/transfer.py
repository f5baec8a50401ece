"""`model.backbone:` (a trained network under the head `model.layers` builds) and `train.phases:`
(training in stages, each with its own trainable layers and learning rate)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import PositiveFloat, PositiveInt, model_validator

from dlkit.core.strict import Strict, raise_at


class LayerSet(Strict):
    """Part of the backbone, by position: `{until: NAME}` (its layers up to and including NAME) or
    `{last_n: N}` (its last N layers, counting every layer but the input, as `model.layers[-N:]`)."""

    until: str | None = None
    last_n: PositiveInt | None = None

    @model_validator(mode="after")
    def _one(self) -> LayerSet:
        if (self.until is None) == (self.last_n is None):
            raise_at((), "give exactly one of until: LAYER_NAME or last_n: N")
        return self


class BackboneConfig(Strict):
    """A trained network: `run:` a finished dlkit run's `model.keras` (read in safe mode), or
    `application:` a `keras.applications` network without its classifier, its own input
    preprocessing added (it takes 0-255 pixels: no `rescale` step)."""

    run: Path | None = None
    """The run folder (relative to the working directory), e.g. `runs/quickstart-20260101-120000`."""
    keep_preprocess: bool | None = None
    """(`run:`) Keep the run's `data.preprocess`/`data.augment` layers in the backbone (default; then
    this config usually has no steps of its own); `false` drops them: this config's steps apply."""
    application: str | None = None
    """Its Keras name: MobileNetV3Small, ResNet50, EfficientNetB0, ... (`keras.applications`)."""
    weights: str | None = None
    """(`application:`) A local weights file (`.weights.h5`, or the `.h5` Keras downloads),
    `imagenet` (from the Keras cache, ~/.keras/models/, or the network) or null: random weights."""
    include_top: Literal[False] | None = None
    """(`application:`) Never true: the application's classifier is dropped, `model.layers` is the head."""
    until: str | None = None
    """The backbone ends with this layer (its output feeds the head); default: a run's model up to
    its last layer's input (its own head dropped), an application's last layer."""
    freeze: bool | LayerSet = True
    """`true`: nothing of the backbone trains; `false`: all of it; `{until: L}`: L and the layers
    before it stay fixed, those after train; `{last_n: N}`: only the last N layers train. A frozen
    backbone runs in inference mode (batch normalisation keeps its statistics), also once
    `train.phases` unfreeze it, as the Keras transfer-learning guide does."""

    @model_validator(mode="after")
    def _one_source(self) -> BackboneConfig:
        if (self.run is None) == (self.application is None):
            raise_at((), "give run: RUN_FOLDER (a dlkit run) or application: NAME (keras.applications), one of them")
        source, others = ("run", ("weights", "include_top"))
        if self.application is not None:
            source, others = "application", ("keep_preprocess",)
        for key in others:
            if getattr(self, key) is not None:
                raise_at((key,), f"not with {source}:", getattr(self, key))
        if self.run is not None and self.keep_preprocess is None:
            self.keep_preprocess = True
        if self.application is not None:
            self.include_top = False
        return self


class Phase(Strict):
    """One stage of `train.phases`."""

    epochs: PositiveInt
    unfreeze: Literal[True] | LayerSet | None = None
    """Backbone layers that train from this phase on: `true` (all), `{last_n: K}` (the last K),
    `{until: L}` (those after L); the others stay as the earlier phases left them."""
    learning_rate: PositiveFloat | None = None
    """Default: `train.optimizer.learning_rate`. Each phase starts a fresh optimizer."""
