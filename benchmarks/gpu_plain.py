"""The plain Keras script of benchmarks/gpu.py: what a JAX or PyTorch user writes without dlkit.

Numpy arrays into `fit` (scaled by 1/255 in numpy), the backend from KERAS_BACKEND, mixed precision
with `keras.config.set_dtype_policy` and a float32 softmax (as Keras's mixed-precision guide says),
`fit(validation_split=0.1)`, `evaluate` on the test split, `save` model.keras. Two models:
  mnist_cnn  configs/mnist_cnn.yaml's CNN on 28x28x1 images (693,962 parameters);
  resnet     configs/cifar10_resnet.yaml's small ResNet on 32x32x3 images (309,994 parameters).
Writes {params, epoch_ends, test_accuracy} as JSON to RESULT (epoch_ends: seconds from the start of
`fit` to the end of each epoch, validation included).

    KERAS_BACKEND=jax python benchmarks/gpu_plain.py resnet data.npz out.keras result.json --epochs 3
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

MODELS = ("mnist_cnn", "resnet")
PRECISIONS = ("float32", "mixed_bfloat16")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("data", type=Path, help=".npz with x_train, y_train, x_test, y_test (uint8 images)")
    parser.add_argument("out", type=Path, help="where to save model.keras")
    parser.add_argument("result", type=Path, help="where to write the JSON result")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error(f"--epochs and --batch-size must be at least 1; received {args.epochs} and {args.batch_size}")
    return args


def mnist_cnn(keras, shape):
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax", dtype="float32"),
        ]
    )


def resnet(keras, shape):
    layers = keras.layers

    def conv_bn(x, filters, kernel=3, strides=1, relu=True):
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x) if relu else x

    def stage(x, filters, strides):
        residual = conv_bn(conv_bn(x, filters, strides=strides), filters, relu=False)
        shortcut = x if strides == 1 else conv_bn(x, filters, kernel=1, strides=strides, relu=False)
        return layers.Activation("relu")(layers.Add()([shortcut, residual]))

    inputs = keras.Input(shape)
    x = conv_bn(inputs, 32)
    x = stage(stage(stage(x, 32, 1), 64, 2), 128, 2)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax", dtype="float32")(x))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import keras
    import numpy as np

    with np.load(args.data) as f:
        x, y, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    if x.ndim == 3:  # grayscale (N, H, W): one channel
        x, x_test = x[..., None], x_test[..., None]
    x, x_test = x.astype("float32") / 255, x_test.astype("float32") / 255
    keras.utils.set_random_seed(args.seed)
    keras.config.set_dtype_policy(args.precision)
    model = (mnist_cnn if args.model == "mnist_cnn" else resnet)(keras, x.shape[1:])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochEnds(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start, self.ends = time.perf_counter(), []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter() - self.start)

    timer = EpochEnds()
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1, callbacks=[timer], verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
    model.save(args.out)
    result = {"params": model.count_params(), "epoch_ends": timer.ends, "test_accuracy": float(accuracy)}
    args.result.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
