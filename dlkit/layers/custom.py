"""dlkit's own Keras layers, registered as serializables so `model.keras` loads in safe mode.
Imports Keras: load it lazily (`dlkit.runs.load_run_model` does before loading a model)."""

from __future__ import annotations

from dlkit.backend import keras

k = keras()


@k.saving.register_keras_serializable(package="dlkit")
class FillMissing(k.layers.Layer):
    """Replace missing values (NaN, or "" for strings) with `value`, a statistic of the training
    split, so that predict fills a missing cell exactly as training did."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def call(self, inputs):
        import tensorflow as tf

        if inputs.dtype == tf.string:
            return tf.where(tf.equal(inputs, ""), tf.constant(str(self.value)), inputs)
        return tf.where(tf.math.is_nan(inputs), tf.cast(self.value, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "value": self.value}


@k.saving.register_keras_serializable(package="dlkit")
class ToGrayscale(k.layers.Layer):
    """RGB (H, W, 3) to grayscale (H, W, 1), with the ITU-R 601 weights of tf.image."""

    def call(self, inputs):
        import tensorflow as tf

        return tf.image.rgb_to_grayscale(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


@k.saving.register_keras_serializable(package="dlkit")
class ToRgb(k.layers.Layer):
    """Grayscale (H, W, 1) to RGB (H, W, 3) by repeating the channel."""

    def call(self, inputs):
        import tensorflow as tf

        return tf.image.grayscale_to_rgb(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)
