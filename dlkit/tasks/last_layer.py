"""The last layer of `model.layers` read from the config, without building anything, and its clear
mistakes for a task's head (`dlkit validate` runs this without TensorFlow)."""

from __future__ import annotations

from dlkit.core.strict import listed

#: Layers whose `units` and `activation` are the model's outputs when they end it.
OUTPUT_LAYERS = ("dense", "ensemble_head")


def last_layer(layers: list) -> tuple[int, int | None, int, str | None]:
    """(index, units) of the layer giving the model's output and (index, activation) of its
    activation: the last layer's own, or that of a last `activation`/`softmax` layer after it.
    Units and activation are None where not known (no `units`; an activation not a dense layer's)."""
    index = act_index = len(layers) - 1
    last, activation = layers[index], None
    if last.type_name in ("activation", "softmax") and not last.inputs and index > 0:
        activation = "softmax" if last.type_name == "softmax" else str(last.activation)
        index -= 1
    spec = layers[index]
    units = getattr(spec, "units", None)
    if activation is None and spec.type_name in OUTPUT_LAYERS:
        activation = str(spec.activation or "linear")
    units = units if isinstance(units, int) else None
    return index, units, act_index, activation and activation.lower()


def layer_problems(task, expected: tuple[int, str] | None) -> list[tuple[tuple, str]]:
    """The last layer's units against `expected` (units, why) and its activation against the task's
    head and loss, each mistake as (key path, message)."""
    index, units, act_index, activation = last_layer(task.config.model.layers)
    problems = []
    if units is not None and expected and units != expected[0]:
        problems.append(
            (("model", "layers", index, "units"), f"{units} units, but {expected[1]}; set units: {expected[0]}")
        )
    problem = activation and _activation_problem(task, units, activation)
    if problem:
        problems.append((("model", "layers", act_index, "activation"), problem))
    return problems


def class_units(peek, units: int | None = None) -> tuple[int, str] | None:
    """One unit per class, where the classes are known."""
    names = peek.class_names
    if not names:
        return None
    return units or len(names), f"{peek.source} has {len(names)} classes ({listed(names, 5)})"


def _activation_problem(task, units: int | None, activation: str) -> str | None:
    head, loss = task.head, task.config.train.loss
    if activation == "softmax" and units == 1:
        fix = {"sigmoid": "use activation: sigmoid", "linear": "remove the activation"}
        return f"softmax over 1 unit always gives 1.0; {fix.get(head, 'set units to the number of classes')}"
    if head not in ("softmax", "sigmoid") or not hasattr(loss, "from_logits"):
        return None
    name = f"train.loss ({loss.type_name})"
    if loss.from_logits:
        if activation == "linear":
            return None
        return (
            f"{name} takes logits (from_logits: true), but the last layer applies {activation}; remove the activation"
        )
    if activation == head:
        return None
    if activation == "linear":
        return (
            f"no activation gives logits, but {name} takes probabilities; "
            f"use activation: {head}, or set train.loss.from_logits: true"
        )
    if activation == "sigmoid":
        return (
            f"sigmoid scores each of the {units or 'several'} classes on its own, but the classes of a "
            f"{task.name} exclude each other; use activation: softmax"
        )
    what = "class probabilities" if head == "softmax" else "a probability" if units == 1 else "probabilities"
    return f"{activation!r} does not give {what}; use activation: {head}"
