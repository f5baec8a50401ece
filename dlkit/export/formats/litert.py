"""LiteRT (`.tflite`: phones, microcontrollers), converted by TensorFlow's converter from the
SavedModel and run with `ai-edge-litert`. A model whose conversion needs TensorFlow ops ("Flex",
e.g. string preprocessing) is refused: no plain LiteRT interpreter runs it."""

from __future__ import annotations

from pathlib import Path

from dlkit.errors import DataError, UsageError
from dlkit.export import FORMATS
from dlkit.export.base import Calibration, ExportFormat, Runner, one_by_one, string_layers
from dlkit.strict import listed

#: Examples of the training split that calibrate full-int8 quantisation.
CALIBRATION = 200


@FORMATS.register("litert", aliases=("tflite",))
class LiteRT(ExportFormat):
    """LiteRT `.tflite` for phones and microcontrollers; models of built-in ops only (no Flex)."""

    file = "model.tflite"
    quantizations = {
        "dynamic": "int8 weights, float activations (dynamic range)",
        "int8": "int8 weights and activations, calibrated on training examples; uint8 input for 0-255 pixels",
        "float16": "float16 weights",
    }
    needs = ("ai_edge_litert",)

    def write(self, model, saved_model: Path, out: Path, quantize: str | None, calibration: Calibration) -> None:
        import tensorflow as tf

        # Flex allowed, so that the conversion succeeds and the ops it needed can be named.
        flex = _ops_set(saved_model, [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS])
        if needed := sorted({op for op in _custom_ops(flex) if op.startswith("Flex")}):
            strings = string_layers(model)
            cause = f" (string preprocessing: {listed(strings, 3)})" if strings else ""
            raise UsageError(
                f"LiteRT cannot run this model without TensorFlow's Flex delegate: it needs {listed(needed, 4)}"
                f"{cause}; use --format saved_model"
            )
        if quantize is None:
            (out / self.file).write_bytes(flex)
            return
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
        if quantize == "int8":
            converter.representative_dataset = lambda: _representative(calibration.examples)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            if calibration.uint8:
                converter.inference_input_type = tf.uint8
        try:
            (out / self.file).write_bytes(converter.convert())
        except Exception as e:  # the converter's own error types are not public
            reason = next((line for line in str(e).splitlines() if "error:" in line), str(e).splitlines()[0])
            raise DataError(f"LiteRT's converter refused --quantize {quantize}: {reason.strip()[:200]}") from None

    def load(self, out: Path) -> Runner:
        import ai_edge_litert
        import numpy as np
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(out / self.file))
        runner = interpreter.get_signature_runner("serving_default")
        dtypes = {name: detail["dtype"] for name, detail in runner.get_input_details().items()}

        def run(examples):
            feed = examples if isinstance(examples, dict) else {next(iter(dtypes)): examples}
            outputs = runner(**{name: _as(np.asarray(feed[name]), dtype) for name, dtype in dtypes.items()})
            return next(iter(outputs.values()))

        version = getattr(ai_edge_litert, "__version__", "")
        return Runner(f"ai-edge-litert {version}".strip(), run)

    def takes(self, quantize: str | None, calibration: Calibration) -> str:
        if quantize == "int8" and calibration.uint8:
            return "uint8: the raw 0-255 pixel values model.keras takes"
        return super().takes(quantize, calibration)


def _ops_set(saved_model: Path, ops) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = ops
    return converter.convert()


def _custom_ops(flatbuffer: bytes) -> list[str]:
    """The custom ops a `.tflite` model calls (Flex ops are custom ops named `Flex<TF op>`)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(flatbuffer, 0)
    codes = (model.OperatorCodes(i) for i in range(model.OperatorCodesLength()))
    return [code.CustomCode().decode() for code in codes if code.CustomCode()]


def _representative(examples):
    import numpy as np

    for row in one_by_one(examples, CALIBRATION):
        yield (
            {name: np.asarray(v, "float32") for name, v in row.items()}
            if isinstance(row, dict)
            else [np.asarray(row, "float32")]
        )


def _as(values, dtype):
    """Examples in the input's dtype: uint8 pixels are the raw 0-255 values, rounded."""
    import numpy as np

    if np.issubdtype(dtype, np.integer) and not np.issubdtype(values.dtype, np.integer):
        values = np.clip(np.rint(values), np.iinfo(dtype).min, np.iinfo(dtype).max)
    return values.astype(dtype)
