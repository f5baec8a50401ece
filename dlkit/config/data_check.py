"""`dlkit validate` without --dry-run: the config against what its data is known to be without
loading it (`Dataset.peek`): files and columns that are not there, and a last layer that cannot fit
the task (units against the classes, an activation against the loss). No TensorFlow, no pandas."""

from __future__ import annotations

from pathlib import Path

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.loader import read_config, where_written
from dlkit.data.peek import OptionError, Peek, capped
from dlkit.errors import ConfigError

#: What a task's loss takes from the last layer when it is not told `from_logits: true`.
PROBABILITIES = {"classification": "softmax", "binary": "sigmoid"}


def check_data(config: ExperimentConfig, path: str | Path, overrides=(), dry_run: bool = False) -> None:
    """A ConfigError naming each mistake's key and its file:line (`path` with `overrides` is
    where `config` was read from). A dry run leaves a missing file or column to the build, which
    may not need it (a dataset whose shape is known without its data)."""
    try:
        peek = config.data.loader().peek(classes=config.task in PROBABILITIES)
    except OptionError as e:
        if dry_run:
            return
        problems = [(("data", "options", *e.key), e.message)]
    else:
        problems = [] if config.task == "gan" else last_layer_problems(config, peek)
    if problems:
        lines = read_config(path, overrides)[1]
        raise ConfigError(
            "\n".join(
                f"{where_written(loc, lines, str(path))}: {'.'.join(map(str, loc))}: {message}"
                for loc, message in problems
            )
        )


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
    if activation is None and spec.type_name == "dense":
        activation = str(spec.activation or "linear")
    units = units if isinstance(units, int) else None
    return index, units, act_index, activation and activation.lower()


def last_layer_problems(config: ExperimentConfig, peek: Peek) -> list[tuple[tuple, str]]:
    """The clear mistakes of the last layer for the task and the data, each as (key path, message)."""
    index, units, act_index, activation = last_layer(config.model.layers)
    task, names = config.task, peek.class_names
    problems = []
    if task == "binary" and names and len(names) > 2:
        what = f"{peek.source} has {len(names)} ({capped(names)})"
        problems.append((("task",), f"'binary' takes 2 classes, but {what}; use task: classification"))
    expected = {
        "classification": names and (len(names), f"{peek.source} has {len(names)} classes ({capped(names)})"),
        "binary": (1, "a binary task takes one sigmoid unit"),
        "regression": peek.target_width and (peek.target_width, f"{peek.source} has {peek.target_width} target(s)"),
    }[task]
    if units is not None and expected and units != expected[0]:
        message = f"{units} units, but {expected[1]}; set units: {expected[0]}"
        problems.append((("model", "layers", index, "units"), message))
    problem = activation and _activation_problem(config, units, activation)
    if problem:
        problems.append((("model", "layers", act_index, "activation"), problem))
    return problems


def _activation_problem(config: ExperimentConfig, units: int | None, activation: str) -> str | None:
    task, loss = config.task, config.train.loss
    if activation == "softmax" and units == 1:
        fix = {"binary": "use activation: sigmoid", "regression": "remove the activation"}
        return f"softmax over 1 unit always gives 1.0; {fix.get(task, 'set units to the number of classes')}"
    if task not in PROBABILITIES or not hasattr(loss, "from_logits"):
        return None
    wanted, name = PROBABILITIES[task], f"train.loss ({loss.type_name})"
    if loss.from_logits:
        if activation == "linear":
            return None
        return (
            f"{name} takes logits (from_logits: true), but the last layer applies {activation}; remove the activation"
        )
    if activation == wanted:
        return None
    if activation == "linear":
        return (
            f"no activation gives logits, but {name} takes probabilities; "
            f"use activation: {wanted}, or set train.loss.from_logits: true"
        )
    if activation == "sigmoid":
        return (
            f"sigmoid scores each of the {units or 'several'} classes on its own, but the classes of a "
            "classification exclude each other; use activation: softmax"
        )
    what = "class probabilities" if task == "classification" else "a probability"
    return f"{activation!r} does not give {what}; use activation: {wanted}"
