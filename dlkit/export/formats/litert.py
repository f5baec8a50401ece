"""LiteRT (`.tflite`: phones, microcontrollers), converted by TensorFlow's converter from the
SavedModel and run with `ai-edge-litert`. A model whose conversion needs TensorFlow ops ("Flex",
e.g. string preprocessing) is refused: no plain LiteRT interpreter runs it."""

from __future__ import annotations

from pathlib import Path

from dlkit.core.errors import DataError, UsageError
from dlkit.core.registries import FORMATS
from dlkit.core.strict import listed
from dlkit.export.base import Calibration, ExportFormat, Runner, one_by_one, string_layers, tf_saved_model


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

    #: Set by `write`: the model takes one example per call (a recurrent layer's loop converts to
    #: LiteRT's own ops only at a fixed batch size).
    batch_of_one = False

    def write(self, model, scratch: Path, out: Path, quantize: str | None, calibration: Calibration) -> None:
        import tensorflow as tf

        saved_model = tf_saved_model(model, scratch)
        # Flex allowed, so that the conversion succeeds and the ops it needed can be named.
        flex = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
        converted = _converter(saved_model, flex).convert()
        if _flex_ops(converted):
            single = saved_model.with_name("batch_of_one")
            model.export(str(single), format="tf_saved_model", input_signature=[_batch_of_one(model)], verbose=False)
            converted = _converter(single, flex).convert()
            if needed := _flex_ops(converted):
                strings = string_layers(model)
                cause = f" (string preprocessing: {listed(strings, 3)})" if strings else ""
                raise UsageError(
                    f"LiteRT cannot run this model without TensorFlow's Flex delegate: it needs {listed(needed, 4)}"
                    f"{cause}; use --format saved_model"
                )
            saved_model, self.batch_of_one = single, True
            if quantize == "int8":  # measured: LiteRT 2.21's int8 calibration of the loop kills the process
                raise UsageError(
                    "--quantize int8: LiteRT's full-int8 calibration crashes on a recurrent layer's loop "
                    "(LSTM, GRU); use --quantize dynamic or float16"
                )
        if quantize is None:
            (out / self.file).write_bytes(converted)
            return
        converter = _converter(saved_model, [tf.lite.OpsSet.TFLITE_BUILTINS])
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
        details = runner.get_input_details()
        dtypes = {name: detail["dtype"] for name, detail in details.items()}
        one_at_a_time = all(detail["shape_signature"][0] == 1 for detail in details.values())

        def call(examples):
            feed = examples if isinstance(examples, dict) else {next(iter(dtypes)): examples}
            outputs = runner(**{name: _as(np.asarray(feed[name]), dtype) for name, dtype in dtypes.items()})
            return next(iter(outputs.values()))

        def run(examples):
            if not one_at_a_time:
                return call(examples)
            return np.concatenate([call(example) for example in one_by_one(examples)])

        version = getattr(ai_edge_litert, "__version__", "")
        return Runner(f"ai-edge-litert {version}".strip(), run)

    def takes(self, quantize: str | None, calibration: Calibration) -> str:
        takes = super().takes(quantize, calibration)
        if quantize == "int8" and calibration.uint8:
            takes = "uint8: the raw 0-255 pixel values model.keras takes"
        return f"{takes}, one example per call" if self.batch_of_one else takes


def _converter(saved_model: Path, ops):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = ops
    return converter


def _flex_ops(flatbuffer: bytes) -> list[str]:
    """The TensorFlow ops a `.tflite` model calls: custom ops named `Flex<op>`."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(flatbuffer, 0)
    codes = (model.OperatorCodes(i).CustomCode() for i in range(model.OperatorCodesLength()))
    return sorted({code.decode() for code in codes if code and code.startswith(b"Flex")})


def _batch_of_one(model):
    """The model's input signature with a batch of one (a dict for a table's columns)."""
    import tensorflow as tf

    specs = {t.name: tf.TensorSpec((1, *t.shape[1:]), t.dtype, name=t.name) for t in model.inputs}
    return specs if isinstance(model.input, dict) else next(iter(specs.values()))


def _representative(examples):
    import numpy as np

    for row in one_by_one(examples):
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
