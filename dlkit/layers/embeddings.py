"""The numeric-feature embeddings as entries of `model.layers` (the Keras layers are in
`dlkit.layers.numeric`, imported only when a model is built): `{type: periodic_embedding,
inputs: [columns.carat, columns.depth]}` embeds those table columns and a Dense can follow."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, PositiveInt, StrictBool, field_validator, model_validator

from dlkit.core.registries import LAYERS
from dlkit.core.strict import raise_at
from dlkit.layers.spec import Float, LayerSpec


class _Embedding(LayerSpec):
    """A numeric embedding: `build` makes the Keras layer with every argument, defaults included,
    so that this model's defaults are the ones that apply."""

    #: The Keras layer's class in `dlkit.layers.numeric`.
    keras_class: ClassVar[str] = ""

    def build(self):
        from dlkit.layers import numeric

        args = {key: getattr(self, key) for key in type(self).model_fields if key not in ("name", "inputs")}
        return getattr(numeric, self.keras_class)(name=self.name, **args)


@LAYERS.register("periodic_embedding")
class PeriodicEmbedding(_Embedding):
    """Numeric columns as sin and cos of trained frequencies, then a Linear + ReLU each (PLR,
    Gorishniy et al. 2022)."""

    keras_class = "PeriodicEmbedding"
    n_frequencies: PositiveInt = 48
    """Frequencies per feature; the encoding before the Linear is twice as wide."""
    sigma: Annotated[Float, Field(gt=0)] = 0.01
    """Standard deviation of the initial frequencies, in cycles per unit of the (standardised)
    input; the paper's most important setting: larger for sharper target functions."""
    d_embedding: PositiveInt | None = 24
    """Width of each feature's embedding (its Linear + ReLU); null: the sines and cosines alone."""
    lite: StrictBool = False
    """One Linear shared by every feature instead of one each (TabR's and TabM's lite variant)."""

    @model_validator(mode="after")
    def _lite_has_a_linear(self):
        if self.lite and self.d_embedding is None:
            raise_at(("lite",), "lite shares the Linear of width d_embedding; set d_embedding, or lite: false")
        return self


Edges = list[Float] | list[list[Float]]


@LAYERS.register("piecewise_linear_embedding")
class PiecewiseLinearEmbedding(_Embedding):
    """Numeric columns by their piecewise-linear encoding over bin edges, then a Linear + ReLU each
    (PLE, Gorishniy et al. 2022)."""

    keras_class = "PiecewiseLinearEmbedding"
    edges: Edges
    """Bin edges, strictly increasing, in the units of the input (z-scores for a standardised
    `columns.NAME`): one list for every feature, or a list per feature."""
    d_embedding: PositiveInt | None = 24
    """Width of each feature's embedding (its Linear + ReLU); null: the encoding alone."""

    @field_validator("edges")
    @classmethod
    def _increasing(cls, edges):
        lists = edges if edges and isinstance(edges[0], list) else [edges]
        for i, values in enumerate(lists):
            if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
                where = f" (list {i})" if lists is edges else ""
                raise ValueError(f"bin edges need two or more numbers, strictly increasing{where}; got {values}")
        return edges
