"""Building the Keras model: input -> preprocessing steps -> augmentation -> `model.layers`."""

from __future__ import annotations

import math

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.model import INPUT_NAME
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError
from dlkit.core.strict import did_you_mean
from dlkit.engine.task import task_of
from dlkit.model import backbone
from dlkit.model.size import check_model_size, itemsize, no_trace


def build_model(config: ExperimentConfig, model_input, kind: str, train_batches=None, train_targets=None):
    """The model, its layers made under `train.precision`'s dtype policy, ending as the task says
    (a regression model maps standardised outputs to the target's units, fitted on
    `train_targets`; None for a dry run); a mixed-precision model ends in float32, so losses and
    predictions stay float32."""
    k = keras()
    previous = k.config.dtype_policy()
    k.config.set_dtype_policy(config.train.precision)
    try:
        model = _build(config, model_input, kind, train_batches)
        outputs = task_of(config).output(model.output, train_targets)
        if outputs.dtype != "float32":
            outputs = k.layers.Activation("linear", dtype="float32", name="float32_output")(outputs)
        if outputs is not model.output:
            model = k.Model(model.input, outputs, name=model.name)  # under the policy: loss scaling for float16
        return model
    finally:
        k.config.set_dtype_policy(previous)


def _build(config: ExperimentConfig, model_input, kind: str, train_batches=None):
    """A functional model from `model_input` = (the raw inputs, the tensor they give after the
    dataset's own encoders) for data of `kind`; a layer Keras rejects is a ConfigError naming it."""
    columns = getattr(model_input, "columns", {})
    inputs, x = preprocess(config, model_input, kind, train_batches)
    x = backbone.attach(getattr(config.model, "backbone", None), x)
    ensemble = getattr(config.train, "ensemble", None)
    copies = ensemble.seeds if ensemble else 1
    check_size(config, [("model", config.model, x, columns)], copies)
    outputs = [apply_layers(config.model, x, "model", columns=columns, copy=i) for i in range(copies)]
    if ensemble:
        from dlkit.layers.members import MemberMean

        outputs = [MemberMean(name="ensemble_mean")(outputs)]
    return keras().Model(inputs, outputs[0], name=config.name)


def preprocess(config: ExperimentConfig, model_input, kind: str, train_batches=None):
    """(inputs, the tensor after `data.preprocess` and `data.augment`).

    Steps fitted on data (normalize) see the training split as the earlier steps leave it;
    `train_batches()` gives it in batches (`dlkit.data.pipeline.to_dataset`). Without it (a dry
    run) they get neutral statistics: the shapes are right, the numbers are not."""
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


def apply_layers(model_config, x, where: str, built: dict | None = None, columns: dict | None = None, copy: int = 0):
    """Call `model_config.layers` on `x` in order (or as `inputs:` wire them); `where` (`model`,
    `model.generator`) prefixes the key path of a layer Keras rejects. `built` collects
    {key path: (spec, layer)}; `columns` are a table's encoded columns (`columns.NAME`). Copy
    `copy` > 0 of the layers (`train.ensemble`) names its Keras layers `NAME_copyN` where the
    config names them, as names are unique in a model."""
    outputs = {INPUT_NAME: x, **(columns or {})}
    for i, spec in enumerate(model_config.layers):
        for j, name in enumerate(spec.inputs or []):
            if name not in outputs:  # only a column escapes the config's own check
                hint = did_you_mean(name, columns) if columns else "the data is not a table (dataset: csv)"
                raise ConfigError(f"{where}.layers.{i}.inputs.{j}: no column {name!r}; {hint}")
        sources = [outputs[name] for name in spec.inputs] if spec.inputs else [x]
        args = sources if len(sources) > 1 else sources[0]
        made = spec.model_copy(update={"name": f"{spec.name}_copy{copy}"}) if copy and spec.name else spec
        x = _apply(f"{where}.layers.{i}", made, args, built=built)
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


def check_size(config: ExperimentConfig, networks: list[tuple[str, object, object]], copies: int = 1) -> None:
    """Refuse the model if it is over `train.max_params` or would not train in the memory
    available (`dlkit.model.size`). `networks` are (key path, model config with `layers:`, the
    symbolic input they take[, a table's encoded columns]), each in the model `copies` times."""
    sizes = {where: (kind, n * copies, b * copies) for where, (kind, n, b) in layer_sizes(networks).items()}
    check_model_size(config, sizes)


def layer_sizes(networks) -> dict[str, tuple[str, int, int]]:
    """Each layer's (type, parameters, bytes) by key path, its variables created inside
    `keras.StatelessScope(initialize_variables=False)`, where Keras does not allocate them, so a
    layer of 10^10 weights costs nothing here."""
    k = keras()
    built: dict = {}
    with no_trace(), k.StatelessScope(initialize_variables=False):
        for where, model_config, inputs, *columns in networks:
            apply_layers(model_config, inputs, where, built, *columns)
    return {
        where: (
            spec.type_name,
            sum(math.prod(v.shape) for v in layer.weights),
            sum(math.prod(v.shape) * itemsize(v.dtype) for v in layer.weights),
        )
        for where, (spec, layer) in built.items()
    }
