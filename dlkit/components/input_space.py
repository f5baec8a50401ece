"""Where an attack may move a model's inputs: eps is a fraction of each feature's scale (255 for
image pixels; the training split's standard deviation for numeric columns and array features),
and every value stays within what the data can hold (0-255 pixels; each feature's observed
training range). Categorical (string) inputs and blank (NaN) cells are never moved."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

#: The pixel scale of image datasets (uint8, as in an image file).
PIXELS = 255.0


@dataclasses.dataclass
class InputSpace:
    """Per attacked input (by name): the scale eps is a fraction of, and the lowest and highest
    value, each broadcastable to the input's batches. `columns`: the model takes a dict of inputs."""

    scale: dict[str, Any]
    low: dict[str, Any]
    high: dict[str, Any]
    columns: bool

    def project(self, x: dict, moved: dict, eps) -> dict:
        """`moved` brought back within eps (of each scale) of `x` and within the range; cells of
        `x` that are blank stay as they are."""
        import tensorflow as tf

        projected = {}
        for name, start in x.items():
            radius = eps * self.scale[name]
            low = tf.maximum(start - radius, self.low[name])
            high = tf.minimum(start + radius, self.high[name])
            projected[name] = tf.where(tf.math.is_finite(start), tf.clip_by_value(moved[name], low, high), start)
        return projected

    def split(self, x) -> tuple[dict, dict]:
        """A batch as the model takes it -> (the float inputs to attack, the others), by name."""
        import tensorflow as tf

        if not self.columns:
            (name,) = self.scale
            return {name: tf.cast(x, tf.float32)}, {}
        attacked = {name: tf.cast(x[name], tf.float32) for name in self.scale}
        return attacked, {name: value for name, value in x.items() if name not in self.scale}

    def join(self, attacked: dict, fixed: dict):
        """The inverse of `split`: what the model takes."""
        return {**fixed, **attacked} if self.columns else next(iter(attacked.values()))


def in_memory(x_train):
    """The training examples, or for a streamed table (`dlkit.data.stream`) the columns of its
    sample of training rows: what the input space is measured on."""
    sample = getattr(x_train, "sample", None)
    return x_train if sample is None else sample.x


def refusal(kind: str, model, x_train) -> str | None:
    """Why these inputs cannot be attacked (None: they can): text, and integer ids (tokens,
    categories), are not continuous, so a small step along a gradient means nothing there."""
    import numpy as np

    if kind == "text":
        return "its inputs are text (token ids are not continuous)"
    if kind == "image":
        return None
    from dlkit.core.backend import takes_columns

    x_train = in_memory(x_train)
    arrays = x_train if takes_columns(model) else {model.inputs[0].name: x_train}
    numeric = [name for name, values in arrays.items() if np.asarray(values).dtype.kind in "fiu"]
    integer = [name for name in numeric if np.asarray(arrays[name]).dtype.kind in "iu"]
    if integer and len(integer) == len(numeric):
        return "its inputs are integer ids (tokens or categories are not continuous)"
    if not numeric:
        return "it has no numeric inputs (categories are not continuous)"
    return None


def input_space(kind: str, model, x_train) -> InputSpace:
    """The space of the model's float inputs, from the training split (`x_train`: an array, or a
    dict of columns); images are 0-255 whatever the split holds. Check `refusal` first."""
    import numpy as np
    import tensorflow as tf

    from dlkit.core.backend import takes_columns

    columns, x_train = takes_columns(model), in_memory(x_train)
    names = [t.name for t in model.inputs if "float" in str(t.dtype)]
    scale, low, high = {}, {}, {}
    for name in names:
        if kind == "image":
            scale[name], low[name], high[name] = PIXELS, 0.0, PIXELS
            continue
        values = np.asarray(x_train[name] if columns else x_train, dtype="float64")
        axes = tuple(range(values.ndim - 1)) if values.ndim > 1 else (0,)  # per feature: the last axis
        with warnings.catch_warnings():  # an all-blank column: NaN statistics, so it is never moved
            warnings.simplefilter("ignore", RuntimeWarning)
            scale[name] = np.nan_to_num(np.nanstd(values, axis=axes))
            low[name] = np.nan_to_num(np.nanmin(values, axis=axes), nan=-np.inf)
            high[name] = np.nan_to_num(np.nanmax(values, axis=axes), nan=np.inf)
    as_tensor = lambda d: {n: tf.constant(v, tf.float32) for n, v in d.items()}  # noqa: E731
    return InputSpace(as_tensor(scale), as_tensor(low), as_tensor(high), columns)
