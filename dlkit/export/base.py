"""What an export format is: how it writes a Keras model, refuses one it cannot hold, and runs the
file it wrote in its own runtime for the parity report."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dlkit.core.errors import UsageError
from dlkit.data.examples import count, take


@dataclasses.dataclass
class Calibration:
    """What quantisation needs to know of the data: examples of the training split, and whether
    they are raw pixel values 0-255 (then an int8 model can take uint8 input exactly)."""

    examples: Any
    uint8: bool


@dataclasses.dataclass
class Runner:
    """An exported model loaded in its own runtime: `run(examples)` gives the outputs as
    `model.keras` would, for a batch of any size (examples as the Keras model takes them)."""

    runtime: str
    run: Callable[[Any], np.ndarray]


class ExportFormat:
    """One target format. `quantizations` maps each `--quantize` value it takes to what it does."""

    type_name: ClassVar[str] = ""
    #: The file (or folder) inside the export folder that holds the model.
    file: ClassVar[str] = ""
    quantizations: ClassVar[dict[str, str]] = {}
    #: Modules the format needs (the `export` extra), on TensorFlow.
    needs: ClassVar[tuple[str, ...]] = ()
    #: Whether the format converts the model on the backend the run trained on; else on
    #: TensorFlow, whose SavedModel its converters read (a `.keras` file loads on any backend).
    any_backend: ClassVar[bool] = False

    def backend(self, run_dir: Path) -> str:
        """The backend the run's model is loaded and converted on: the run's own for a format of
        `any_backend` (or the one this process already runs Keras on), else TensorFlow."""
        from dlkit.core.backend import chosen_backend
        from dlkit.core.runs import run_backend

        return (chosen_backend() or run_backend(run_dir)) if self.any_backend else "tensorflow"

    def needs_on(self, backend: str) -> tuple[str, ...]:
        """The modules the format needs when it converts on `backend`."""
        return self.needs

    def extra_of(self, module: str) -> str:
        """The extra of dlkit that installs `module`."""
        return "export"

    def check_options(self, quantize: str | None, backend: str = "tensorflow") -> None:
        """Before any work: the quantisation is one this format takes, its libraries are here."""
        if quantize is not None and quantize not in self.quantizations:
            takes = ", ".join(self.quantizations) or "none"
            raise UsageError(f"--quantize {quantize}: {self.type_name} does not take it (it takes: {takes})")
        missing = [name for name in self.needs_on(backend) if importlib.util.find_spec(name) is None]
        if missing:
            of = f" of a {backend} run" if self.any_backend and backend != "tensorflow" else ""
            extras = ",".join(sorted({self.extra_of(name) for name in missing}))
            raise UsageError(f'--format {self.type_name}{of} needs {", ".join(missing)}: pip install "dlkit[{extras}]"')

    def refuse(self, model) -> None:
        """Raise a UsageError naming the layer, for a model this format cannot hold (before
        anything is written)."""

    def write(self, model, scratch: Path, out: Path, quantize: str | None, calibration: Calibration) -> None:
        """Write the model into the folder `out`. `model` is a copy of the run's, which the format
        may change (quantise); `scratch` is a folder for its intermediate files (`tf_saved_model`)."""
        raise NotImplementedError

    def load(self, out: Path) -> Runner:
        raise NotImplementedError

    def takes(self, quantize: str | None, calibration: Calibration) -> str:
        """What the exported model takes as input, for `export.json`."""
        return "what model.keras takes"


def tf_saved_model(model, scratch: Path) -> Path:
    """The model exported as a TensorFlow SavedModel into `scratch` (TensorFlow's converters' input)."""
    path = scratch / "saved_model"
    if not path.exists():
        model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def string_layers(model) -> list[str]:
    """`name (Class)` of each lookup or vectoriser reading strings, else the inputs of strings."""
    found = [f"{layer.name} ({type(layer).__name__})" for layer in all_layers(model) if _reads_strings(layer)]
    return found or [f"input {t.name!r} (strings)" for t in model.inputs if t.dtype == "string"]


def _reads_strings(layer) -> bool:
    return type(layer).__name__ in ("StringLookup", "TextVectorization")


def all_layers(model):
    """The model's layers, those of nested models included (a table run's columns are one)."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def in_batches(run: Callable[[Any], np.ndarray], examples: Any, size: int = 256) -> np.ndarray:
    """`run` over `examples` (an array or a dict of columns) in slices of `size`."""
    n = count(examples)
    parts = [run(take(examples, slice(i, min(i + size, n)))) for i in range(0, n, size)]
    return np.concatenate(parts) if parts else np.zeros((0,))


def one_by_one(examples: Any, n: int | None = None):
    """The first `n` (default: all) examples, each as a batch of one."""
    return (take(examples, slice(i, i + 1)) for i in range(min(count(examples), n or count(examples))))
