"""Building the Keras model: input -> preprocessing steps -> augmentation -> `model.layers`."""

from __future__ import annotations

from dlkit.backend import keras
from dlkit.config import ExperimentConfig
from dlkit.config.model import INPUT_NAME
from dlkit.errors import ConfigError
from dlkit.model_size import check_model_size


def build_model(config: ExperimentConfig, model_input, kind: str, train_batches=None, train_targets=None):
    """The model, its layers made under `train.precision`'s dtype policy; a mixed-precision model
    ends in a float32 layer, so losses and predictions stay float32.

    With `data.options.scale_target` a regression model ends in `scale_target`, a fixed
    `mean + std * x` fitted on `train_targets` (neutral without them: a dry run): the layers learn
    standardised targets while the model, its loss and its metrics are in the target's units.
    With Adam that trains as on standardised labels (a gradient's scale cancels out), and
    nothing else needs to know. Keras's Rescaling keeps mean and std in its config, not as
    weights, so the parameter count is the network's."""
    k = keras()
    previous = k.config.dtype_policy()
    k.config.set_dtype_policy(config.train.precision)
    try:
        model = _build(config, model_input, kind, train_batches)
        outputs = model.output
        if config.task == "regression" and config.data.options.get("scale_target"):
            mean, std = target_scale(train_targets) if train_targets is not None else (0.0, 1.0)
            outputs = k.layers.Rescaling(std, offset=mean, dtype="float32", name="scale_target")(outputs)
        elif config.train.precision != "float32":
            outputs = k.layers.Activation("linear", dtype="float32", name="float32_output")(outputs)
        if outputs is not model.output:
            model = k.Model(model.inputs, outputs, name=model.name)  # under the policy: loss scaling for float16
        return model
    finally:
        k.config.set_dtype_policy(previous)


def target_scale(y) -> tuple:
    """The mean and standard deviation of each target column (numbers for one column); a constant
    column keeps std 1, since there is nothing to scale."""
    import numpy as np

    y = np.asarray(y, dtype="float64")
    mean, std = y.mean(axis=0), y.std(axis=0)
    return mean.tolist(), np.where(std > 0, std, 1.0).tolist()


def _build(config: ExperimentConfig, model_input, kind: str, train_batches=None):
    """A functional model from `model_input` = (the raw inputs, the tensor they give after the
    dataset's own encoders) for data of `kind`; a layer Keras rejects is a ConfigError naming it."""
    inputs, x = preprocess(config, model_input, kind, train_batches)
    check_model_size(config, [("model", config.model, x)])
    return keras().Model(inputs, apply_layers(config.model, x, "model"), name=config.name)


def preprocess(config: ExperimentConfig, model_input, kind: str, train_batches=None):
    """(inputs, the tensor after `data.preprocess` and `data.augment`).

    Steps fitted on data (normalize) see the training split as the earlier steps leave it;
    `train_batches()` gives it as a tf.data dataset. Without it (a dry run) they get neutral
    statistics: the shapes are right, the numbers are not."""
    inputs, x = model_input
    for section in ("preprocess", "augment"):
        for i, step in enumerate(getattr(config.data, section)):
            if step.images_only and kind != "image":
                raise ConfigError(
                    f"data.{section}.{i} ({step.type_name}): works on images, but {config.data.dataset} "
                    f"gives {kind} data"
                )
            examples = None
            if step.fitted and train_batches is not None:
                examples = keras().Model(inputs, x).predict(train_batches(), verbose=0)
            x = _apply(f"data.{section}.{i}", step, x, step.build(examples) if step.fitted else None)
    return inputs, x


def apply_layers(model_config, x, where: str, built: dict | None = None):
    """Call `model_config.layers` on `x` in order (or as `inputs:` wire them); `where` (`model`,
    `model.generator`) prefixes the key path of a layer Keras rejects. `built` collects
    {key path: (spec, layer)}."""
    outputs = {INPUT_NAME: x}
    for i, spec in enumerate(model_config.layers):
        sources = [outputs[name] for name in spec.inputs] if spec.inputs else [x]
        args = sources if len(sources) > 1 else sources[0]
        x = _apply(f"{where}.layers.{i}", spec, args, built=built)
        if spec.name:
            outputs[spec.name] = x
    return x


def _apply(where: str, spec, inputs, layer=None, built: dict | None = None):
    """Build the spec's layer (unless given) and call it; what Keras rejects becomes a ConfigError naming it."""
    try:
        layer = layer or spec.build()
        if built is not None:
            built[where] = (spec, layer)
        return layer(inputs)
    except (ValueError, TypeError, OverflowError) as e:
        message = " ".join(str(e).split())
        raise ConfigError(f"{where} ({spec.type_name}): {message[:200]}") from None


def check_output(model, config: ExperimentConfig, class_names: list[str], target_dim: int = 1) -> None:
    """The last layer must give what the task needs (one unit per class, one for binary, one per
    regression target), checked before any training."""
    units = model.output_shape[-1]
    expected = {"classification": len(class_names), "binary": 1, "regression": target_dim}[config.task]
    if units != expected:
        what = {
            "classification": f"{expected} classes",
            "binary": "a binary task (one sigmoid unit)",
            "regression": f"{expected} target(s)",
        }[config.task]
        raise ConfigError(
            f"model.layers.{len(config.model.layers) - 1}: the last layer gives {units} outputs per "
            f"example, but {config.data.dataset} has {what}; set units: {expected}"
        )
