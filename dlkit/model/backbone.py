"""`model.backbone`: a trained network between the preprocessing and the head (`model.layers`),
taken from a dlkit run or from `keras.applications`, nested in the model as one layer named
`backbone`, frozen in whole or in part. Imports Keras: load it lazily."""

from __future__ import annotations

import warnings
from pathlib import Path

from dlkit.config.transfer import BackboneConfig, LayerSet
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError, DlkitError
from dlkit.core.strict import clipped, did_you_mean, listed

NAME = "backbone"
WHERE = "model.backbone"

#: The input preprocessing each `keras.applications` module's `preprocess_input` does, by module;
#: modules not named here (EfficientNet, MobileNetV3, ConvNeXt, RegNet) do theirs inside the model.
MODES = {
    **dict.fromkeys(("resnet", "vgg16", "vgg19"), "caffe"),
    "densenet": "torch",
    **dict.fromkeys(
        ("mobilenet", "mobilenet_v2", "inception_v3", "inception_resnet_v2", "xception", "nasnet", "resnet_v2"), "tf"
    ),
}
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN_RGB, IMAGENET_STD_RGB = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def attach(spec: BackboneConfig | None, x):
    """`x` through the backbone (and an application's own input preprocessing); `x` without one.
    A frozen backbone is called with training=False, so its batch normalisation stays in
    inference mode even when later phases unfreeze it."""
    if spec is None:
        return x
    if spec.run is not None:
        net = from_run(spec)
    else:
        x, net = from_application(spec, x)
    set_trainable(net, first_trainable(net, spec.freeze, f"{WHERE}.freeze"))
    try:
        return net(x, training=False) if spec.freeze is not False else net(x)
    except ValueError as e:
        raise ConfigError(f"{WHERE}: it does not take this config's input {tuple(x.shape[1:])}: {_short(e)}") from None


def layers_of(net) -> list:
    """The backbone's layers as `freeze`, `until` and `last_n` count them (not its input)."""
    return [layer for layer in net.layers if not isinstance(layer, keras().layers.InputLayer)]


def first_trainable(net, selection: bool | LayerSet, where: str, current: int | None = None) -> int:
    """The index in `layers_of(net)` from which layers train under `freeze: selection`, or, given
    the `current` one, after `unfreeze: selection`."""
    layers = layers_of(net)
    unfreezing = current is not None
    if selection is True:
        return 0 if unfreezing else len(layers)
    if selection is False or selection is None:
        return current if unfreezing else 0
    if selection.last_n is not None:
        first = max(len(layers) - selection.last_n, 0)
    else:
        first = index_of(layers, selection.until, f"{where}.until") + 1
    return min(first, current) if unfreezing else first


def set_trainable(net, first: int) -> None:
    for i, layer in enumerate(layers_of(net)):
        layer.trainable = i >= first


def index_of(layers, name: str, where: str) -> int:
    names = [layer.name for layer in layers]
    if name not in names:
        hint = did_you_mean(name, names, listing=False)
        raise ConfigError(
            f"{where}: the backbone has no layer {clipped(name)}{'; ' + hint if hint else ''} "
            f"(its layers: {listed(names, 8)})"
        )
    return names.index(name)


def from_run(spec: BackboneConfig):
    """The run's model from its input (or, without its preprocessing, from the last step's output)
    to `until` (default: the input of its last layer with weights)."""
    from dlkit.config import load_run_config
    from dlkit.core.runs import LATEST, MODEL, RUN_FILE, read_run, run_status
    from dlkit.model.saved import load_run_model

    run = Path(spec.run)
    if run.name == LATEST and run.is_symlink():  # the run's config.yaml names the run it used
        spec.run = run = run.resolve()
    if not (run / RUN_FILE).is_file():
        raise ConfigError(f"{WHERE}.run: {run}: not a dlkit run folder (no {RUN_FILE})")
    status = run_status(read_run(run))
    if status != "completed" or not (run / MODEL).is_file():
        raise ConfigError(f"{WHERE}.run: {run}: not a completed run (status: {status}); finish it or name another run")
    try:
        model = load_run_model(run)
        source = load_run_config(run)
    except DlkitError as e:
        raise ConfigError(f"{WHERE}.run: {e}"[:300]) from None
    layers = model.layers
    steps = 0 if spec.keep_preprocess else len(source.data.preprocess) + len(source.data.augment)
    if steps and len(model.inputs) > 1:
        raise ConfigError(f"{WHERE}.keep_preprocess: false works on runs with one input; this one takes columns")
    start = layers[steps].output  # layers[0] is the input, the steps follow it
    body = layers[steps + 1 :]
    if spec.until is not None:
        end = body[index_of(body, spec.until, f"{WHERE}.until")].output
    else:
        last = max((i for i, layer in enumerate(body) if layer.weights), default=None)
        if not last:
            raise ConfigError(f"{WHERE}.run: {run}: its model has no layer with weights before its head; name until:")
        end = body[last].input
    return keras().Model(start, end, name=NAME)


def from_application(spec: BackboneConfig, x):
    """(x after the application's input preprocessing, the application without its top), with
    its weights from a file, ImageNet's, or random."""
    k = keras()
    apps = sorted(n for n in dir(k.applications) if n[0].isupper())
    if spec.application not in apps:
        raise ConfigError(
            f"{WHERE}.application: {clipped(spec.application)} is not in keras.applications; "
            f"{did_you_mean(spec.application, apps)}"
        )
    build = getattr(k.applications, spec.application)
    weights = spec.weights
    path = None if weights in (None, "imagenet") else Path(weights)
    if path is not None and not path.is_file():
        raise ConfigError(f"{WHERE}.weights: {path}: no such file (a weights file saved from {spec.application})")
    shape = tuple(x.shape[1:])
    try:
        net = build(include_top=False, weights="imagenet" if weights == "imagenet" else None, input_shape=shape)
    except ValueError as e:
        raise ConfigError(
            f"{WHERE}.application ({spec.application}): {_short(e)} (input {shape}; data.preprocess steps "
            "`resize` and `rgb` make images fit)"
        ) from None
    except Exception as e:  # noqa: BLE001  (a download failing offline raises plain Exception)
        raise ConfigError(
            f"{WHERE}.weights: imagenet: could not get {spec.application}'s ImageNet weights ({_short(e)[:80]}); "
            "put the file Keras downloads in ~/.keras/models/ or give weights: PATH"
        ) from None
    if path is not None:
        try:
            with warnings.catch_warnings():
                # Keras only warns about parts of the file that fit nothing, and keeps random weights there.
                warnings.simplefilter("error", UserWarning)
                net.load_weights(path)
        except (ValueError, KeyError, OSError, TypeError, UserWarning) as e:
            raise ConfigError(
                f"{WHERE}.weights: {path} does not fit {spec.application} on input {shape}: "
                f"{_short(e).split('. ')[0][:100]}"
            ) from None
    if spec.until is not None:
        layers = layers_of(net)
        net = k.Model(net.input, layers[index_of(layers, spec.until, f"{WHERE}.until")].output)
    net.name = NAME  # one name, whichever application: phases find it by it
    return _preprocess_input(build.__module__.rsplit(".", 1)[-1], x), net


def _preprocess_input(module: str, x):
    """`keras.applications.<module>.preprocess_input` as layers that save and load in safe mode."""
    import numpy as np

    k = keras()
    mode = MODES.get(module)
    if mode == "tf":
        return k.layers.Rescaling(1 / 127.5, offset=-1.0, name="backbone_input")(x)
    if mode == "torch":
        x = k.layers.Rescaling(1 / 255.0, name="backbone_input_scale")(x)
        variance = [s * s for s in IMAGENET_STD_RGB]
        return k.layers.Normalization(mean=IMAGENET_MEAN_RGB, variance=variance, name="backbone_input")(x)
    if mode == "caffe":  # RGB to BGR, minus ImageNet's mean: a fixed 1x1 convolution
        layer = k.layers.Conv2D(3, 1, trainable=False, name="backbone_input")
        x = layer(x)
        layer.set_weights([np.eye(3, dtype="float32")[::-1].reshape(1, 1, 3, 3), -np.asarray(IMAGENET_MEAN_BGR)])
    return x


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:200]
