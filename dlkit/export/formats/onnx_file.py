"""ONNX (onnxruntime and every runtime that reads ONNX). A TensorFlow run's model is converted by
tf2onnx from its SavedModel (Keras's own ONNX export fails on `Normalization` there); a JAX or
PyTorch run's by Keras's own ONNX export on that backend (jax2onnx; PyTorch's TorchScript
exporter). String preprocessing has no ONNX form."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

from dlkit.core.errors import UsageError
from dlkit.core.registries import FORMATS
from dlkit.core.strict import listed
from dlkit.export.base import Calibration, ExportFormat, Runner, one_by_one, string_layers, tf_saved_model

#: ONNX's operator set; 17 is read by every onnxruntime of the last three years.
OPSET = 17
#: The converter of each backend besides onnx and onnxruntime.
CONVERTERS = {"tensorflow": ("tf2onnx",), "jax": ("jax2onnx",), "torch": ()}


@FORMATS.register("onnx")
class Onnx(ExportFormat):
    """ONNX (opset 17) for onnxruntime and other runtimes; models without string preprocessing."""

    file = "model.onnx"
    quantizations = {
        "dynamic": "int8 weights, activations quantised on the fly (onnxruntime's quantize_dynamic)",
        "int8": "int8 weights and activations, calibrated on training examples (onnxruntime's quantize_static)",
    }
    any_backend = True

    def needs_on(self, backend: str) -> tuple[str, ...]:
        return (*CONVERTERS.get(backend, ()), "onnx", "onnxruntime")

    def extra_of(self, module: str) -> str:
        return "jax" if module == "jax2onnx" else "export"  # jax2onnx needs JAX, which a TensorFlow user need not have

    def refuse(self, model) -> None:
        if found := string_layers(model):
            raise UsageError(
                f"ONNX cannot hold string preprocessing ({listed(found, 3)}); use --format saved_model, which keeps it"
            )

    def write(self, model, scratch: Path, out: Path, quantize: str | None, calibration: Calibration) -> None:
        from dlkit.core.backend import keras

        path = out / self.file if quantize is None else out / "float.onnx"
        if keras().config.backend() == "tensorflow":
            path.write_bytes(_tf2onnx(tf_saved_model(model, scratch)).SerializeToString())
        else:
            _keras_export(model, path, next(one_by_one(calibration.examples, 1)))
        if quantize is None:
            return
        try:
            _quantize(path, out / self.file, quantize, calibration)
        finally:
            path.unlink()

    def load(self, out: Path) -> Runner:
        import numpy as np
        import onnxruntime

        session = onnxruntime.InferenceSession(str(out / self.file), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]

        def run(examples):
            feed = examples if isinstance(examples, dict) else {names[0]: examples}
            return session.run(None, {name: np.asarray(feed[name], "float32") for name in names})[0]

        return Runner(f"onnxruntime {onnxruntime.__version__}", run)


def _tf2onnx(saved_model: Path):
    """The SavedModel converted by tf2onnx: the ONNX model's proto."""
    import tf2onnx.convert
    from tf2onnx import tf_loader

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()):
        graph, inputs, outputs, _, renamed = tf_loader.from_saved_model(
            str(saved_model), None, None, return_initialized_tables=True, return_tensors_to_rename=True
        )
        proto, _ = tf2onnx.convert.from_graph_def(
            graph, input_names=inputs, output_names=outputs, opset=OPSET, tensors_to_rename=renamed
        )
    return proto


def _keras_export(model, path: Path, example) -> None:
    """Keras's own ONNX export on the backend the model runs on (JAX, PyTorch), its converters'
    chatter and warnings hidden. Keras exports only a model that was called: a loaded one is,
    on one `example`, first."""
    import onnx

    from dlkit.export.formats.onnx_pooling import fix_pooling

    model(example, training=False)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.export(str(path), format="onnx", verbose=False, opset_version=OPSET)
    written = onnx.load(str(path))
    if fix_pooling(written):
        onnx.save(written, str(path))


def _quantize(source: Path, target: Path, how: str, calibration: Calibration) -> None:
    from onnxruntime import quantization as q

    if how == "dynamic":
        q.quantize_dynamic(str(source), str(target), weight_type=q.QuantType.QInt8)
        return
    q.quantize_static(
        str(source),
        str(target),
        _Reader(source, calibration.examples),
        quant_format=q.QuantFormat.QDQ,
        activation_type=q.QuantType.QUInt8,
        weight_type=q.QuantType.QInt8,
    )


class _Reader:
    """onnxruntime's CalibrationDataReader: the calibration examples, one at a time."""

    def __init__(self, model: Path, examples):
        import numpy as np
        import onnxruntime

        names = [i.name for i in onnxruntime.InferenceSession(str(model)).get_inputs()]
        self._feeds = iter(
            {name: np.asarray(row[name] if isinstance(row, dict) else row, "float32") for name in names}
            for row in one_by_one(examples)
        )

    def get_next(self):
        return next(self._feeds, None)
