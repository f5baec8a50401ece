"""`dlkit export RUN --format F [--quantize Q]`: write the run's model in format F into a folder
of its own (`RUN/export/F[-Q]/` by default) with `export.json`, the parity report. The folder
appears whole or not at all: a model the format cannot hold is refused before anything is written."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from dlkit.core.backend import quiet_tensorflow
from dlkit.core.errors import UsageError
from dlkit.core.registries import FORMATS
from dlkit.core.registry import UnknownNameError
from dlkit.core.runs import MODEL, RUN_FILE, environment, now, write_json
from dlkit.core.writing import inside, writing
from dlkit.data.examples import concatenate, count
from dlkit.export.base import Calibration
from dlkit.export.parity import Parity, compare

#: The report's file in the export folder.
REPORT = "export.json"
#: Training examples that calibrate quantisation (and tell whether inputs are 0-255 pixels).
CALIBRATION = 200


@dataclasses.dataclass
class Exported:
    folder: Path
    format: str
    quantize: str | None
    parity: Parity


def check_format(format: str, quantize: str | None, run_dir: Path):
    """The format, before any work: it exists, takes `quantize`, and its libraries are here for
    the backend it converts the run's model on."""
    try:
        chosen = FORMATS.get(format)()
    except UnknownNameError as e:
        raise UsageError(f"--format: {e}") from None
    chosen.check_options(quantize, chosen.backend(run_dir))
    return chosen


def export_run(run_dir: Path, format: str, quantize: str | None = None, out: Path | None = None,
               max_drop: float = 0.01, overrides=()) -> Exported:  # fmt: skip
    """Export the run's model and check it on the test split; `overrides` (`--set`) change the
    run's config for this export (where its data is)."""
    from dlkit.config import load_run_config
    from dlkit.core.backend import choose_backend
    from dlkit.engine.prepare import prepare_run_data
    from dlkit.engine.score import predict
    from dlkit.engine.task import task_of
    from dlkit.model.saved import load_run_model

    run_dir = Path(run_dir)
    chosen = check_format(format, quantize, run_dir)
    # A .keras file loads on any backend: SavedModel and LiteRT convert it on TensorFlow, ONNX on
    # the backend the run trained on.
    where = f"{run_dir / RUN_FILE}: backend" if chosen.any_backend else f"dlkit export --format {chosen.type_name}"
    choose_backend(chosen.backend(run_dir), where)
    config = load_run_config(run_dir, overrides)  # first: it loads the run's plug-ins, which the model may need
    task = task_of(config)
    if task.generates:
        raise UsageError(f"{run_dir}: a {task.name} run generates images; export takes a run that predicts")
    name = chosen.type_name + (f"-{quantize}" if quantize else "")
    out = Path(out) if out is not None else inside(run_dir, "export", name)
    _check_out(out)
    model = load_run_model(run_dir)
    chosen.refuse(model)
    data = prepare_run_data(config)
    test = data.split("test")
    examples = _inputs(test, config, data, model)
    keras_outputs = predict(model, test, config, data)
    calibration = _calibration(data, config, model)

    work = out.parent / f".{out.name}.tmp-{os.getpid()}"  # renamed to `out` once whole
    with writing(out, scratch=work):
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        with quiet_tensorflow():  # the converters' and runtimes' native logging
            with tempfile.TemporaryDirectory() as scratch:
                copy = load_run_model(run_dir)  # the format may change it (quantise)
                chosen.write(copy, Path(scratch), work, quantize, calibration)
            sizes = (_bytes(work), (run_dir / MODEL).stat().st_size)
            parity = compare(task, config, test, keras_outputs, model, chosen.load(work), examples, sizes, max_drop)
        about = {"run": str(run_dir), "format": chosen.type_name, "quantize": quantize, "file": chosen.file}
        about |= {"created": now(), "versions": environment(), "input": chosen.takes(quantize, calibration)}
        write_json(work / REPORT, about | {"parity": parity.as_json()})
        _replace(work, out)
    return Exported(out, chosen.type_name, quantize, parity)


def _check_out(out: Path) -> None:
    """An existing folder is replaced only if it is an earlier export (it holds `export.json`)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / REPORT).is_file())):
        raise UsageError(f"--out {out}: exists and is not an earlier export (no {REPORT}); choose another folder")


def _replace(work: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(work, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _inputs(split, config, data, model):
    """The split's inputs, in order, in the shapes and dtypes of the model's inputs (streamed
    files decoded; a table's columns `(n, 1)`), as a runtime without Keras's conversions needs them."""
    from dlkit.data.pipeline import numpy_batches, to_dataset

    batches = to_dataset(split, batch_size=256, shuffle=False, seed=config.seed, decode=data.about.decode)
    examples = concatenate([x for x, _ in numpy_batches(batches)])
    specs = {t.name: t for t in model.inputs}
    if isinstance(examples, dict):
        return {name: _conform(column, specs[name]) for name, column in examples.items()}
    return _conform(examples, model.inputs[0])


def _conform(values: np.ndarray, spec) -> np.ndarray:
    if values.ndim == len(spec.shape) - 1:
        values = values[..., None]
    return values.astype(object if spec.dtype == "string" else spec.dtype)


def _calibration(data, config, model) -> Calibration:
    train = data.split("train")
    examples = _inputs(train.take(np.arange(min(CALIBRATION, len(train)))), config, data, model)
    uint8 = (
        not isinstance(examples, dict)
        and examples.dtype != object
        and count(examples) > 0
        and float(examples.min()) >= 0
        and float(examples.max()) <= 255
        and bool(np.all(examples == np.rint(examples)))
    )
    return Calibration(examples, uint8)


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
