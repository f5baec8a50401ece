"""dlkit's own Keras layers and metrics, registered as serializables so `model.keras` loads in safe mode.
Imports Keras: load it lazily (`dlkit.model.saved.load_run_model` does before loading a model)."""

from __future__ import annotations

from dlkit.core.backend import keras

k = keras()

from dlkit.layers import members  # noqa: E402, F401  (registers TabM, EnsembleHead and MemberMean with Keras)


@k.saving.register_keras_serializable(package="dlkit")
class FillMissing(k.layers.Layer):
    """Replace missing values (NaN, or "" for strings) with `value`, a statistic of the training
    split, so that predict fills a missing cell exactly as training did."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def call(self, inputs):
        if k.backend.standardize_dtype(inputs.dtype) == "string":  # TensorFlow's tensors alone hold strings
            import tensorflow as tf

            return tf.where(tf.equal(inputs, ""), tf.constant(str(self.value)), inputs)
        ops = k.ops
        return ops.where(ops.isnan(inputs), ops.cast(self.value, inputs.dtype), inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "value": self.value}


@k.saving.register_keras_serializable(package="dlkit")
class ToGrayscale(k.layers.Layer):
    """RGB (H, W, 3) to grayscale (H, W, 1), with the ITU-R 601 weights of tf.image."""

    def call(self, inputs):
        if k.config.backend() != "tensorflow":  # the same weights; TensorFlow keeps its own op
            return k.ops.image.rgb_to_grayscale(inputs)
        import tensorflow as tf

        return tf.image.rgb_to_grayscale(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


@k.saving.register_keras_serializable(package="dlkit")
class ToRgb(k.layers.Layer):
    """Grayscale (H, W, 1) to RGB (H, W, 3) by repeating the channel."""

    def call(self, inputs):
        if k.config.backend() != "tensorflow":  # the channel three times, as TensorFlow's op tiles it
            return k.ops.repeat(inputs, 3, axis=-1)
        import tensorflow as tf

        return tf.image.grayscale_to_rgb(inputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


@k.saving.register_keras_serializable(package="dlkit")
class TemperatureScaling(k.layers.Layer):
    """The model's class scores divided by a temperature fitted after training (`eval.calibrate`),
    so that its confidence matches its accuracy; T > 0 keeps every decision. `mode` is what the
    layer before gives: `softmax` probabilities p -> softmax(log p / T), a `sigmoid` probability
    p -> sigmoid(logit(p) / T), `logits` z -> z / T. `dlkit.core.calibration.scores` takes the same log."""

    MODES = ("softmax", "sigmoid", "logits")

    def __init__(self, temperature, mode, **kwargs):
        super().__init__(**kwargs)
        if not temperature > 0 or mode not in self.MODES:
            raise ValueError(
                f"TemperatureScaling takes a temperature > 0 and a mode of {self.MODES}. "
                f"Received: temperature={temperature}, mode={mode!r}"
            )
        self.temperature, self.mode = float(temperature), mode

    def call(self, inputs):
        from dlkit.core.calibration import BELOW_ONE, TINY

        ops = k.ops
        if self.mode == "logits":
            return inputs / self.temperature
        if self.mode == "softmax":
            return ops.softmax(ops.log(ops.maximum(inputs, TINY)) / self.temperature, axis=-1)
        p = ops.clip(inputs, TINY, BELOW_ONE)
        return ops.sigmoid((ops.log(p) - ops.log1p(-p)) / self.temperature)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature, "mode": self.mode}


@k.saving.register_keras_serializable(package="dlkit")
class ClassScore(k.metrics.Metric):
    """Precision, recall or F1 from a per-class tally of the predicted class (argmax, or for one
    sigmoid output `> threshold`) against the label (an index or one-hot). With `positive_only`
    (binary tasks) the score is class 1's; otherwise the mean over the classes that occur in the
    labels or predictions, as scikit-learn's macro average."""

    def __init__(self, num_classes, score="f1", threshold=None, positive_only=False, name=None, dtype=None):
        super().__init__(name=name or score, dtype=dtype)
        self.num_classes, self.score, self.threshold, self.positive_only = num_classes, score, threshold, positive_only
        tally = {"shape": (num_classes,), "initializer": "zeros", "dtype": self.dtype}
        self.hits = self.add_variable(name="hits", **tally)
        self.predicted = self.add_variable(name="predicted", **tally)
        self.actual = self.add_variable(name="actual", **tally)

    def _classes(self, values, scores: bool):
        ops = k.ops
        if scores and self.threshold is None:
            values = ops.argmax(values, axis=-1)
        elif scores:
            values = ops.cast(ops.reshape(values, (-1,)) > self.threshold, "int32")
        elif not self.positive_only and len(values.shape) > 1 and values.shape[-1] == self.num_classes > 1:
            return ops.cast(values, self.dtype)  # one-hot labels; sigmoid units' labels are 0/1 each
        return ops.one_hot(ops.cast(ops.reshape(values, (-1,)), "int32"), self.num_classes, dtype=self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = k.ops
        true, pred = self._classes(y_true, scores=False), self._classes(y_pred, scores=True)
        weight = 1.0 if sample_weight is None else ops.reshape(ops.cast(sample_weight, self.dtype), (-1, 1))
        self.hits.assign_add(ops.sum(true * pred * weight, axis=0))
        self.predicted.assign_add(ops.sum(pred * weight, axis=0))
        self.actual.assign_add(ops.sum(true * weight, axis=0))

    def result(self):
        ops = k.ops
        precision = ops.divide_no_nan(self.hits, self.predicted)
        recall = ops.divide_no_nan(self.hits, self.actual)
        # Intersection over union: hits over (predicted + actual - hits), the Jaccard index.
        iou = ops.divide_no_nan(self.hits, self.predicted + self.actual - self.hits)
        per_class = {"precision": precision, "recall": recall, "iou": iou}.get(self.score)
        if per_class is None:
            per_class = ops.divide_no_nan(2 * precision * recall, precision + recall)
        if self.positive_only:
            return per_class[-1]
        present = ops.cast((self.actual + self.predicted) > 0, self.dtype)
        return ops.divide_no_nan(ops.sum(per_class * present), ops.sum(present))

    def reset_state(self):
        for variable in (self.hits, self.predicted, self.actual):
            variable.assign(k.ops.zeros(variable.shape, variable.dtype))  # zeros_like takes no Variable on JAX

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "score": self.score,
            "threshold": self.threshold,
            "positive_only": self.positive_only,
        }


@k.saving.register_keras_serializable(package="dlkit")
class SoftDice(k.losses.Loss):
    """Soft Dice loss of per-pixel class scores against integer masks: 1 - the mean over the classes
    of 2 |P.Y| / (|P| + |Y|), sums over the batch's pixels. A softmax (K channels: every class) or
    one sigmoid channel (the foreground); with `crossentropy` the matching cross-entropy is added."""

    def __init__(self, from_logits=False, crossentropy=False, smooth=1.0, name="dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits, self.crossentropy, self.smooth = from_logits, crossentropy, smooth

    def call(self, y_true, y_pred):
        ops = k.ops
        channels = y_pred.shape[-1]
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        scores = ops.reshape(y_pred, (-1, channels))
        if channels == 1:
            probs = ops.sigmoid(scores) if self.from_logits else scores
            truth = ops.cast(ops.expand_dims(labels, -1), probs.dtype)
        else:
            probs = ops.softmax(scores, axis=-1) if self.from_logits else scores
            truth = ops.one_hot(labels, channels, dtype=probs.dtype)
        overlap = ops.sum(probs * truth, axis=0)
        total = ops.sum(probs, axis=0) + ops.sum(truth, axis=0)
        loss = 1.0 - ops.mean((2.0 * overlap + self.smooth) / (total + self.smooth))
        if self.crossentropy:
            if channels == 1:
                cross = k.losses.binary_crossentropy(truth, scores, from_logits=self.from_logits)
            else:
                cross = k.losses.sparse_categorical_crossentropy(labels, scores, from_logits=self.from_logits)
            loss = loss + ops.mean(cross)
        # One figure per batch: Keras's mean reduction over a scalar keeps it as it is.
        return ops.broadcast_to(loss, ops.shape(y_pred)[:1])

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "crossentropy": self.crossentropy,
            "smooth": self.smooth,
        }


# The numeric-feature embeddings and a regression's target transform live in modules of their own;
# importing this module registers every dlkit layer for safe-mode loading (`dlkit.model.saved`, and
# the README's `import dlkit.layers.custom` for plain Keras).
from dlkit.layers import target  # noqa: E402, F401  (TargetTransform, TransformedLoss)
from dlkit.layers.numeric import PeriodicEmbedding, PiecewiseLinearEmbedding  # noqa: E402, F401
