"""A first config as `dlkit init` writes it: what was found in the data (`Draft`), the model that
suits it, and the commented YAML file. Plain Python: no TensorFlow, no pandas."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

from dlkit.autoconfig.table_recipe import table_batch, table_layers, train_lines, tune_lines
from dlkit.core.errors import DataError, UsageError

#: A whole-number target with more distinct values than this is a quantity (regression), not classes.
MAX_CLASSES = 20
#: A series validates and tests on its last steps, as it will be used: on what comes after.
ORDERED_SPLIT = "{validation: 0.15, test: 0.15, ordered: true}   # validation and test come after training in time"
#: The kinds of target (`Task.proposed_for`) each kind of model can learn, the first the usual one.
CLASSES, TWO_CLASSES, NUMBERS, MASKS = "classes", "two_classes", "numbers", "masks"
TARGETS_FOR = {
    "image": (CLASSES, TWO_CLASSES),
    "text": (CLASSES, TWO_CLASSES),
    "table": (CLASSES, TWO_CLASSES, NUMBERS),
    "series": (NUMBERS, TWO_CLASSES),
    "segmentation": (MASKS,),
}


def task_for(target: str) -> str:
    """The task `dlkit init` proposes for a kind of target: the tasks say which they suit (a task
    that says so itself, not one that inherits it, such as a plug-in's variant of regression)."""
    from dlkit.core.registries import TASKS

    return next(name for name in TASKS.names() if vars(TASKS.get(name)).get("proposed_for") == target)


@dataclasses.dataclass
class Draft:
    """What `dlkit init` found in DATA: the dataset's options, the target, and why (one note a line)."""

    data: Path
    what: str
    """What DATA is, as the header says it: `a CSV table (500 rows, 6 columns)`."""
    dataset: str
    options: dict[str, Any]
    model: str
    """`cnn`, `mlp`, `text`, `lstm` or `unet`."""
    target: str
    """What is predicted: CLASSES, TWO_CLASSES, NUMBERS or MASKS; the task follows (`task_for`)."""
    classes: int = 0
    """How many classes the target holds, as training counts them (0: not classes); of MASKS,
    the classes of a pixel."""
    outputs: int = 1
    """Numbers per example in a NUMBERS target."""
    notes: list[str] = dataclasses.field(default_factory=list)
    rescale: bool = False
    """Images are uint8 pixels: the model rescales them to 0-1."""
    normalize: bool = False
    """The model standardises its inputs with statistics of the training split (the `csv` dataset
    standardises its numeric columns itself)."""
    examples: int = 0
    """How many examples DATA holds (0: not known), so that small data gets holdouts that can hold
    every class."""
    split: str = ""
    epochs: int = 30
    names: bool = False
    """The target holds names (text): classes only."""
    tune: bool = False
    """`dlkit init --tune`: the config gets a `tune:` section (tables only)."""
    comments: dict[str, str] = dataclasses.field(default_factory=dict)
    """A comment beside an option in the written file, by option."""

    @property
    def task(self) -> str:
        return task_for(self.target)

    @property
    def kind(self) -> str:
        return {"cnn": "image", "text": "text", "lstm": "series", "unet": "segmentation"}.get(self.model, "table")

    def choose_task(self, name: str | None) -> None:
        """`--task` replaces the inferred task, among those the model kind can learn."""
        from dlkit.core.registries import TASKS
        from dlkit.core.registry import UnknownNameError

        if name is None:
            return
        try:
            chosen = TASKS.canonical(name)
        except UnknownNameError as e:
            raise UsageError(f"--task {name}: {e}") from None
        allowed = TARGETS_FOR[self.kind]
        target = getattr(TASKS.get(chosen), "proposed_for", None)
        if target not in allowed:
            tasks = ", ".join(task_for(t) for t in allowed)
            raise UsageError(f"--task {name}: for {self.what}, one of {tasks}")
        unfit = self._unfit(target)
        if unfit:
            raise UsageError(f"--task {name}: {unfit}")
        if target != self.target:
            self.notes.append(f"task {chosen}, as --task says (the data suggested {self.task})")
            self.target = target
        if self.dataset == "sequence":
            self.options["label"] = "rises" if target == TWO_CLASSES else "value"

    def _unfit(self, target: str) -> str | None:
        """Why the data's target cannot be learnt as `target` (None: it can)."""
        column = self.options.get("target")
        held = f"target {column!r}" if isinstance(column, str) else f"the target of {self.what}"
        if target == NUMBERS and self.names:
            return f"{held} holds names, not numbers"
        if target == CLASSES and self.classes < 2:
            return f"{held} holds numbers, not classes"
        if target == TWO_CLASSES and self.kind != "series" and self.classes != 2:
            kinds = f"{self.classes} classes" if self.classes else "numbers"
            made = "give a column of two values (made as, e.g., price > 1000) as --target"
            return f"{held} holds {kinds}, not two classes; {made}"
        return None


def render(draft: Draft, command: str) -> str:
    """The config file's text: a header saying what was inferred, then the sections, commented."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", draft.data.stem).strip("_.-")[:100] or "experiment"
    lines = [
        f"# Written by `{command}` for {draft.what}.",
        *(f"#   {note}" for note in draft.notes),
        "# Paths are taken from the folder you run dlkit in. Check it with `dlkit validate` and",
        "# train it with `dlkit train`; every key is in the README and docs/.",
        f"name: {name}",
        "seed: 42",
        f"task: {draft.task}",
        "data:",
        f"  dataset: {draft.dataset}",
        "  options:",
        *(_option(key, value, draft.comments.get(key)) for key, value in draft.options.items()),
        f"  split: {draft.split or _split(draft)}",
    ]
    if draft.rescale:
        lines += ["  preprocess:", "    - {type: rescale, scale: 0.00392156862745098}   # 0-255 pixels to 0-1"]
    elif draft.normalize:
        lines += ["  preprocess:", "    - normalize   # each feature's mean and variance, from the training split"]
    if draft.model == "cnn":
        lines.append("  augment: []   # photos: [{type: random_flip}, {type: random_rotation, factor: 0.05}]")
    if draft.model == "unet":
        lines.append("  # to move images and masks together: data.options.augment: {flip: [horizontal], rot90: true}")
    table = draft.model == "mlp"
    batch = f"{table_batch(draft.examples)}   # grown with the rows" if table else "32"
    lines += [f"  batch_size: {batch}", "model:", f"  layers:   # {_MODELS[draft.model]}"]
    lines += [f"    - {layer}" for layer in _LAYERS[draft.model](draft)] + [f"    - {_head(draft)}"]
    lines += train_lines() if table else _train_lines(draft)
    if draft.tune:
        lines += tune_lines(draft.examples, numbers=draft.target == NUMBERS)
    return "\n".join(lines) + "\n"


def _train_lines(draft: Draft) -> list[str]:
    return [
        "train:",
        f"  epochs: {draft.epochs}",
        "  optimizer: {type: adam, learning_rate: 0.001}",
        "  # loss and metrics: the task's own (`dlkit validate CONFIG` shows them resolved)",
        "  callbacks:",
        "    - {type: early_stopping, monitor: val_loss, patience: 5, restore_best_weights: true}",
    ]


def _split(draft: Draft) -> str:
    """10% validation and 20% test, larger where that would leave a class out of a small holdout."""
    test, validation = 0.2, 0.1
    if draft.target in (CLASSES, TWO_CLASSES) and draft.examples:
        test = max(test, math.ceil(100 * draft.classes / draft.examples) / 100)
        left = draft.examples - math.ceil(test * draft.examples)  # what validation is held out of
        validation = max(validation, math.ceil(100 * draft.classes / max(left, 1)) / 100)
        if draft.examples * (1 - test - validation) < draft.classes:
            raise DataError(
                f"{draft.data}: {draft.examples} examples are too few to hold out validation and test examples "
                f"of each of the {draft.classes} classes and train on the rest"
            )
    return f"{{validation: {validation:g}, test: {test:g}}}"


def _option(key: str, value, comment: str | None) -> str:
    line = f"    {key}: {json.dumps(_plain(value))}"
    return f"{line}   # {comment}" if comment else line


def _plain(value):
    return str(value) if isinstance(value, Path) else value


_MODELS = {
    "cnn": "a small CNN: two convolution blocks, then the classifier",
    "mlp": "an MLP: two hidden layers of 256 units (with dropout for classes)",
    "text": "word embeddings averaged over the text, then a hidden layer",
    "lstm": "an LSTM reading each window of time steps",
    "unet": "a small U-Net: one level down and back up, the first features joined back, a class per pixel",
}

_LAYERS = {
    "cnn": lambda d: [
        "{type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}",
        "{type: max_pooling2d, pool_size: 2}",
        "{type: conv2d, filters: 64, kernel_size: 3, padding: same, activation: relu}",
        "{type: max_pooling2d, pool_size: 2}",
        "flatten",
        "{type: dropout, rate: 0.3}",
    ],
    "mlp": lambda d: table_layers(numbers=d.target == NUMBERS),
    "text": lambda d: [
        f"{{type: embedding, input_dim: {d.options['max_tokens']}, output_dim: 64}}   # input_dim: max_tokens",
        "global_average_pooling1d",
        "{type: dense, units: 32, activation: relu}",
        "{type: dropout, rate: 0.3}",
    ],
    "lstm": lambda d: ["{type: lstm, units: 32}"],
    "unet": lambda d: [
        "{type: conv2d, filters: 16, kernel_size: 3, padding: same, activation: relu, name: down}",
        "{type: max_pooling2d, pool_size: 2}",
        "{type: conv2d, filters: 32, kernel_size: 3, padding: same, activation: relu}",
        "{type: conv2d_transpose, filters: 16, kernel_size: 2, strides: 2, name: up}",
        "{type: concatenate, inputs: [up, down]}",
        "{type: conv2d, filters: 16, kernel_size: 3, padding: same, activation: relu}",
    ],
}


def _head(draft: Draft) -> str:
    """The last layer the task's head needs (`SupervisedTask.head`)."""
    from dlkit.core.registries import TASKS

    if draft.target == MASKS:
        return f"{{type: conv2d, filters: {draft.classes}, kernel_size: 1, activation: softmax}}   # a class per pixel"
    head = TASKS.get(draft.task).head
    if head == "softmax":
        return f"{{type: dense, units: {draft.classes}, activation: softmax}}   # one unit per class"
    if head == "sigmoid":
        return "{type: dense, units: 1, activation: sigmoid}   # the probability of the second class"
    return f"{{type: dense, units: {draft.outputs}}}   # the predicted value"


def class_target(count: int, what: str) -> tuple[str, str]:
    """(target kind, why) for a target of `count` classes."""
    target = TWO_CLASSES if count == 2 else CLASSES
    return target, f"task {task_for(target)}: {what} holds {count} classes"
