"""`model:` the layers, in order; `name:`/`inputs:` on a layer turn the chain into a graph."""

from __future__ import annotations

from pydantic import Field, model_validator

from dlkit.config.transfer import BackboneConfig
from dlkit.core.registries import LAYERS
from dlkit.core.strict import Strict, clipped, did_you_mean, raise_at
from dlkit.data.dataset import COLUMNS

#: The name `inputs:` uses for the model's input (after preprocessing).
INPUT_NAME = "input"


class ModelConfig(Strict):
    layers: list[LAYERS.field] = Field(min_length=1)
    """Applied in order; each takes the previous layer's output unless it names `inputs:`
    (earlier layers' names, `input`, or a table's `columns.NAME`)."""
    backbone: BackboneConfig | None = None
    """A trained network (`run:` a dlkit run, `application:` a keras.applications model) between
    the preprocessing and `layers`, which are then its head (dlkit/config/transfer.py)."""

    @model_validator(mode="after")
    def _graph_is_wired(self) -> ModelConfig:
        seen = {INPUT_NAME}
        for i, layer in enumerate(self.layers):
            for j, source in enumerate(layer.inputs or []):
                # A table's columns are known once its file is read: the model's build checks them.
                if source not in seen and not source.startswith(COLUMNS):
                    raise_at(
                        ("layers", i, "inputs", j),
                        f"no earlier layer is named {clipped(source)}; {did_you_mean(source, seen)}",
                        source,
                    )
            if layer.name is not None:
                if layer.name.startswith(COLUMNS):
                    raise_at(("layers", i, "name"), f"{COLUMNS}NAME stands for a table's column", layer.name)
                if layer.name in seen:
                    raise_at(("layers", i, "name"), f"the name {clipped(layer.name)} is used twice", layer.name)
                seen.add(layer.name)
        for i, layer in enumerate(self.layers[:-1]):
            if layer.trains_members:  # a layer after it would see another shape in training
                raise_at(
                    ("layers", i, "type"),
                    f"{layer.type_name} gives each ensemble member's outputs in training, so it must be the "
                    "last layer; move it last, or set member_loss: false",
                    layer.type_name,
                )
        return self
