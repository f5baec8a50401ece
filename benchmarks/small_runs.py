"""Small runs, whole processes: dlkit against the plain Keras scripts they replace, where start-up
and everything around the fit weigh most.

What it measures
  quickstart  `python -m dlkit train configs/quickstart.yaml` (scikit-learn's digits, the small
              CNN, up to 30 epochs with early stopping) against the plain script a Keras user
              writes for it: the same 20% test (stratified) and 10% validation holdouts, 0-255
              pixels rescaled by 1/255, the same layers, Adam 0.001, batch 32, EarlyStopping
              (val_loss, patience 6, best weights restored), ReduceLROnPlateau (0.5, patience 3),
              test evaluation, model.keras saved. Both stop early; the epochs each trained are printed.
  residual    `--samples` (3,000) generated 64x64 PNGs in 10 class folders plus a test folder of a
              tenth as many (benchmarks/images.py's generator; generated once into `--data`), and
              keras-io's "image classification from scratch" model shrunk: a strided 3x3 stem (16),
              three residual blocks of separable convolutions (32, 64, 128 filters; max-pooled, 1x1
              strided shortcuts), global average pooling, dropout 0.25, softmax; Adam, batch 64,
              3 epochs, 10% validation, at 64x64:
                plain  `keras.utils.image_dataset_from_directory(..., validation_split=0.1,
                       subset="both")` + `.prefetch(AUTOTUNE)`, fit, evaluate on the test folder,
                       save model.keras;
                dlkit  `python -m dlkit train` on an `image_folder` config with the same layers
                       (streamed: `data.cache` false; dlkit also scores all three splits, draws
                       plots and checkpoints the best epoch).
  Each is a fresh process; pairs alternate their order (benchmarks/processes.py): seconds, CPU
  seconds and peak RSS of each, the ratio plain/dlkit (> 1: dlkit faster), the medians, the load
  average as each pair began and the CPU seconds other processes used meanwhile.

Run (about 5 minutes on 2 CPU cores):
    .venv/bin/python benchmarks/small_runs.py
    .venv/bin/python benchmarks/small_runs.py --pairs 1 --only residual   # smoke check
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

from images import ENV, REPO, SEED, make_images, write_folder_config
from processes import pairs

VALIDATION, TEST, SIZE, CLASSES = 0.1, 0.2, 64, 10
RESIDUAL_BATCH, RESIDUAL_EPOCHS = 64, 3
QUICKSTART = REPO / "configs" / "quickstart.yaml"


def residual_layers() -> list:
    """The shrunk keras-io model as dlkit layers (a graph: `name:`, `inputs:`)."""
    layers = [
        {"type": "conv2d", "filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"},
        "batch_normalization",
        {"type": "activation", "activation": "relu", "name": "stem"},
    ]
    previous = "stem"
    for block, filters in enumerate((32, 64, 128), 1):
        layers += [
            {"type": "activation", "activation": "relu"},
            {"type": "separable_conv2d", "filters": filters, "kernel_size": 3, "padding": "same"},
            "batch_normalization",
            {"type": "activation", "activation": "relu"},
            {"type": "separable_conv2d", "filters": filters, "kernel_size": 3, "padding": "same"},
            "batch_normalization",
            {"type": "max_pooling2d", "pool_size": 3, "strides": 2, "padding": "same", "name": f"block{block}_main"},
            {"type": "conv2d", "filters": filters, "kernel_size": 1, "strides": 2, "padding": "same",
             "inputs": [previous], "name": f"block{block}_shortcut"},
            {"type": "add", "inputs": [f"block{block}_main", f"block{block}_shortcut"], "name": f"block{block}"},
        ]  # fmt: skip
        previous = f"block{block}"
    return layers + [
        "global_average_pooling2d",
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "units": CLASSES, "activation": "softmax"},
    ]


# --- the plain scripts (run in their own processes) -----------------------------------------------


def plain_quickstart(out: Path) -> None:
    import keras
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    keras.utils.set_random_seed(SEED)
    digits = load_digits()
    x = np.round(digits.images * (255 / 16))[..., None].astype("float32") / 255
    y = digits.target
    x, x_test, y, y_test = train_test_split(x, y, test_size=TEST, stratify=y, random_state=SEED)
    x, x_val, y, y_val = train_test_split(x, y, test_size=VALIDATION, stratify=y, random_state=SEED)
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=6, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3),
    ]
    history = model.fit(x, y, batch_size=32, epochs=30, validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    model.save(out / "quickstart.keras")
    print(f"epochs {len(history.history['loss'])}, test accuracy {accuracy:.4f}")


def plain_residual(data: Path, out: Path) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    options = dict(image_size=(SIZE, SIZE), batch_size=RESIDUAL_BATCH, seed=SEED, label_mode="int")
    train, val = keras.utils.image_dataset_from_directory(
        data / "train", validation_split=VALIDATION, subset="both", **options
    )
    test = keras.utils.image_dataset_from_directory(data / "test", shuffle=False, **options)
    train, val, test = (ds.prefetch(tf.data.AUTOTUNE) for ds in (train, val, test))
    layers = keras.layers
    inputs = keras.Input((SIZE, SIZE, 3))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(16, 3, strides=2, padding="same")(x)))
    previous = x
    for filters in (32, 64, 128):
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(layers.SeparableConv2D(filters, 3, padding="same")(x))
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(layers.SeparableConv2D(filters, 3, padding="same")(x))
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.add([x, layers.Conv2D(filters, 1, strides=2, padding="same")(previous)])
        previous = x
    x = layers.Dropout(0.25)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=RESIDUAL_EPOCHS, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    model.save(out / "residual.keras")
    print(f"test accuracy {accuracy:.4f}")


# --- the driver -----------------------------------------------------------------------------------


def epochs_trained(results: list[tuple[dict, dict]]) -> str:
    """The epochs each side trained, per pair: the plain script prints them, dlkit's run folder
    (its last stdout line) holds them in history.csv."""
    shown = []
    for plain, dlkit in results:
        with (Path(dlkit["out"].strip().splitlines()[-1]) / "history.csv").open() as f:
            ours = sum(1 for _ in csv.DictReader(f))
        shown.append(f"plain {plain['out'].split(',')[0].split()[-1]} / dlkit {ours}")
    return "; ".join(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3_000, help="generated training images (residual)")
    parser.add_argument("--pairs", type=int, default=3, help="alternated pairs per comparison (default 3)")
    parser.add_argument("--only", choices=["quickstart", "residual"], action="append", help="run only these")
    parser.add_argument("--data", type=Path, help="where the images are generated once (default: a temp folder)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *paths = args.worker
        if kind == "quickstart":
            return plain_quickstart(Path(paths[0]))
        return plain_residual(Path(paths[0]), Path(paths[1]))

    only = args.only or ["quickstart", "residual"]
    python, me = sys.executable, str(Path(__file__).resolve())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; whole processes", flush=True)
    with tempfile.TemporaryDirectory(prefix="dlkit-bench-small-") as tmp:
        tmp = Path(tmp)
        if "quickstart" in only:
            plain = [python, me, "--worker", "quickstart", str(tmp)]
            dlkit = [python, "-m", "dlkit", "train", str(QUICKSTART), "--runs-dir", str(tmp / "runs"), "-q"]
            results = pairs("quickstart (digits, early stopping)", plain, dlkit, args.pairs, ENV, REPO)
            print(f"  epochs trained: {epochs_trained(results)}", flush=True)
        if "residual" in only:
            data = args.data or Path(tempfile.gettempdir()) / f"dlkit-bench-images-{args.samples}"
            if not (data / "done").exists():
                start = time.perf_counter()
                make_images(data, args.samples)
                seconds = time.perf_counter() - start
                print(f"generated {args.samples:,} + {args.samples // 10:,} images in {data} ({seconds:.0f} s)")
            config = tmp / "residual.yaml"
            write_folder_config(config, data, name="residual", size=SIZE, batch=RESIDUAL_BATCH,
                                layers=residual_layers(), epochs=RESIDUAL_EPOCHS)  # fmt: skip
            plain = [python, me, "--worker", "residual", str(data), str(tmp)]
            dlkit = [python, "-m", "dlkit", "train", str(config), "--runs-dir", str(tmp / "runs"), "-q"]
            name = f"residual CNN, {args.samples:,} 64x64 PNGs, {RESIDUAL_EPOCHS} epochs"
            pairs(name, plain, dlkit, args.pairs, ENV, REPO)


if __name__ == "__main__":
    main()
