"""TensorFlow's SavedModel (TF Serving, TF.js, TensorFlow anywhere): every preprocessing layer
dlkit uses, string lookups and text vectorisation included, stays inside."""

from __future__ import annotations

from pathlib import Path

from dlkit.core.errors import UsageError
from dlkit.core.registries import FORMATS
from dlkit.export.base import Calibration, ExportFormat, Runner, all_layers

#: The layers Keras's int8 quantisation changes.
QUANTIZABLE = ("Dense", "EinsumDense", "Embedding")


@FORMATS.register("saved_model", aliases=("tf_saved_model",))
class SavedModel(ExportFormat):
    """TensorFlow SavedModel with a `serve` signature (TF Serving, TF.js); takes every model."""

    file = "saved_model"
    quantizations = {"int8": f"Keras's int8 weights for {', '.join(QUANTIZABLE)} layers (others stay float)"}

    def write(self, model, scratch: Path, out: Path, quantize: str | None, calibration: Calibration) -> None:
        if quantize is None:
            model.export(str(out / self.file), format="tf_saved_model", verbose=False)
            return
        if not any(_quantizable(layer) for layer in all_layers(model)):
            raise UsageError(
                f"--quantize int8 quantises {', '.join(QUANTIZABLE)} layers; this model has none "
                "(--format litert --quantize int8 quantises every layer)"
            )
        model.quantize(quantize, filters=_quantizable)
        model.export(str(out / self.file), format="tf_saved_model", verbose=False)

    def load(self, out: Path) -> Runner:
        import tensorflow as tf

        loaded = tf.saved_model.load(str(out / self.file))  # kept: `serve` needs its variables alive
        # Regression table runs trained before dlkit kept the inputs' dict take a list of columns.
        takes = loaded.serve.concrete_functions[0].structured_input_signature[0][0]

        def run(examples):
            if isinstance(examples, dict) and isinstance(takes, list | tuple):
                examples = [examples[spec.name] for spec in takes]
            return loaded.serve(tf.nest.map_structure(tf.constant, examples)).numpy()

        return Runner(f"TensorFlow {tf.__version__}", run)


def _quantizable(layer) -> bool:
    return type(layer).__name__ in QUANTIZABLE and layer.built
