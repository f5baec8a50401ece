"""Streamed images and one-image predict: dlkit against the plain Keras scripts they replace, as
whole processes (start-up, data, fit, evaluation, saving all counted).

What it measures
  Data: `--samples` (20,000) generated 64x64 PNGs in 10 class folders (a shape per class pair,
  two colour families, random size/place, noisy background; seed 42) plus a test folder of a tenth
  as many, generated once into `--data` and reused.
  Training, the same small CNN (Rescaling 1/255, Conv2D 16, MaxPool, Conv2D 32, MaxPool, Flatten,
  Dense 64, Dense 10 softmax; Adam, batch 128, `--epochs` epochs) at image_size 32x32:
    plain  `keras.utils.image_dataset_from_directory(..., validation_split=0.1, subset="both")`,
           `.cache()` (when cached) and `.prefetch(AUTOTUNE)`, fit with validation, evaluate on the
           test folder, save model.keras;
    dlkit  `python -m dlkit train` on an `image_folder` config with the same layers, split and test
           folder, with `data.cache` false or true (dlkit also scores all three splits, draws plots
           and checkpoints the best epoch).
  dlkit keeps what it learnt of a folder in its cache folder (DLKIT_CACHE_DIR, here one inside the
  benchmark's temporary folder): that each file is a readable image, the data's fingerprint, and
  with `data.cache` the decoded pixels. "a folder dlkit has seen" is timed after one untimed dlkit
  run on it, as a user's second run is; "first run on the folder" gives each dlkit run an empty
  cache folder of its own (through `sh -c`, a millisecond).
  Predict: load model.keras, read and resize one PNG, predict, print the class (plain, on the plain
  script's model) against `python -m dlkit predict one.png --run RUN`.
  Each is a fresh process; pairs alternate their order. Printed: seconds of each, the ratio
  plain/dlkit of each pair (> 1: dlkit faster), the median ratio, and each process's CPU seconds
  and peak RSS (ru_utime + ru_stime, ru_maxrss from os.wait4). The load average as each pair began
  and the CPU seconds other processes used during each run are printed too: on a shared machine a
  pair with many is not comparable in wall time (its CPU-seconds ratio still is, roughly). The
  timing helpers are benchmarks/processes.py, shared with benchmarks/small_runs.py.

Run (about 20 minutes on 2 CPU cores):
    .venv/bin/python benchmarks/images.py                     # 20,000 images, 3 pairs each
    .venv/bin/python benchmarks/images.py --samples 2000 --pairs 1   # smoke check
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from processes import pairs, run

REPO = Path(__file__).resolve().parents[1]
SEED, BATCH, VALIDATION, SIZE = 42, 128, 0.1, 32
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)}
COLOURS = [[(220, 40, 40), (230, 140, 30), (200, 60, 160)], [(40, 80, 220), (30, 180, 200), (60, 190, 70)]]
SHAPES = ["circle", "square", "triangle", "cross", "ring"]


def make_images(root: Path, samples: int) -> None:
    """`root/train/<class>/*.png` (`samples` images) and `root/test/<class>/*.png` (a tenth)."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(SEED)
    for part, n in (("train", samples), ("test", samples // 10)):
        for k in range(10):
            (root / part / f"c{k}").mkdir(parents=True, exist_ok=True)
        for i, k in enumerate(rng.integers(0, 10, n)):
            shape, family = SHAPES[k % 5], COLOURS[k // 5]
            pixels = rng.normal(rng.uniform(60, 160), 25, (64, 64, 3))
            image = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"), "RGB")
            draw = ImageDraw.Draw(image)
            r = int(rng.integers(10, 22))
            x, y = (int(v) for v in rng.integers(r, 64 - r, 2))
            fill = tuple(int(c) for c in np.clip(np.array(family[rng.integers(0, 3)]) + rng.normal(0, 20, 3), 0, 255))
            box = (x - r, y - r, x + r, y + r)
            if shape == "circle":
                draw.ellipse(box, fill=fill)
            elif shape == "square":
                draw.rectangle(box, fill=fill)
            elif shape == "triangle":
                draw.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=fill)
            elif shape == "cross":
                draw.rectangle((x - r, y - r // 3, x + r, y + r // 3), fill=fill)
                draw.rectangle((x - r // 3, y - r, x + r // 3, y + r), fill=fill)
            else:
                draw.ellipse(box, outline=fill, width=max(3, r // 3))
            image.save(root / part / f"c{k}" / f"{i:05d}.png")
    (root / "done").write_text(str(samples))


LAYERS = [
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "activation": "relu"},
    {"type": "max_pooling2d", "pool_size": 2},
    {"type": "conv2d", "filters": 32, "kernel_size": 3, "activation": "relu"},
    {"type": "max_pooling2d", "pool_size": 2},
    "flatten",
    {"type": "dense", "units": 64, "activation": "relu"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]


def write_config(path: Path, data: Path, epochs: int, cache: bool) -> None:
    write_folder_config(path, data, name="images", size=SIZE, batch=BATCH, layers=LAYERS, epochs=epochs, cache=cache)


def write_folder_config(path: Path, data: Path, *, name: str, size: int, batch: int, layers: list, epochs: int,
                        cache: bool = False) -> None:  # fmt: skip
    """The `image_folder` config of an image benchmark (this one's, benchmarks/small_runs.py's):
    `data`'s train and test folders at size x size, VALIDATION held out, pixels rescaled by 1/255,
    Adam on sparse cross-entropy."""
    import yaml

    config = {
        "name": name,
        "seed": SEED,
        "task": "classification",
        "data": {
            "dataset": "image_folder",
            "options": {"path": str(data / "train"), "test_path": str(data / "test"), "image_size": [size, size]},
            "split": {"validation": VALIDATION},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": batch,
            "cache": cache,
        },
        "model": {"layers": layers},
        "train": {
            "epochs": epochs,
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


# --- the plain scripts (run in their own processes) -----------------------------------------------


def plain_train(data: Path, out: Path, epochs: int, cache: bool) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    options = dict(image_size=(SIZE, SIZE), batch_size=BATCH, seed=SEED, label_mode="int")
    train, val = keras.utils.image_dataset_from_directory(
        data / "train", validation_split=VALIDATION, subset="both", **options
    )
    test = keras.utils.image_dataset_from_directory(data / "test", shuffle=False, **options)
    if cache:
        train, val, test = train.cache(), val.cache(), test.cache()
    train, val, test = (ds.prefetch(tf.data.AUTOTUNE) for ds in (train, val, test))
    layers = {
        "conv2d": lambda a: keras.layers.Conv2D(a["filters"], a["kernel_size"], activation="relu"),
        "max_pooling2d": lambda a: keras.layers.MaxPooling2D(2),
        "dense": lambda a: keras.layers.Dense(a["units"], activation=a["activation"]),
    }
    model = keras.Sequential(
        [keras.Input((SIZE, SIZE, 3)), keras.layers.Rescaling(1 / 255)]
        + [keras.layers.Flatten() if spec == "flatten" else layers[spec["type"]](spec) for spec in LAYERS]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, validation_data=val, epochs=epochs, verbose=0)
    loss, accuracy = model.evaluate(test, verbose=0)
    model.save(out / "model.keras")
    print(f"test accuracy {accuracy:.4f}")


def plain_predict(model_path: Path, image: Path) -> None:
    import keras
    import numpy as np
    from PIL import Image

    model = keras.saving.load_model(model_path)
    with Image.open(image) as f:
        pixels = np.asarray(f.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR), dtype="float32")
    print(int(np.argmax(model.predict(pixels[None], verbose=0)[0])))


# --- the driver -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000, help="generated training images")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=3, help="alternated pairs per comparison (default 3)")
    parser.add_argument("--only", choices=["train", "cache", "cold", "predict"], action="append", help="run only these")
    parser.add_argument("--data", type=Path, help="where the images are generated once (default: a temp folder)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *paths = args.worker
        if kind == "train":
            return plain_train(Path(paths[0]), Path(paths[1]), args.epochs, paths[2] == "cache")
        return plain_predict(Path(paths[0]), Path(paths[1]))

    data = args.data or Path(tempfile.gettempdir()) / f"dlkit-bench-images-{args.samples}"
    if not (data / "done").exists():
        start = time.perf_counter()
        make_images(data, args.samples)
        seconds = time.perf_counter() - start
        print(f"generated {args.samples:,} + {args.samples // 10:,} images in {data} ({seconds:.0f} s)")
    only = args.only or ["train", "cache", "cold", "predict"]
    python, me = sys.executable, str(Path(__file__).resolve())
    print(f"{args.samples:,} 64x64 PNGs at {SIZE}x{SIZE}, {args.epochs} epochs, batch {BATCH}; whole processes")
    with tempfile.TemporaryDirectory(prefix="dlkit-bench-images-") as tmp:
        tmp = Path(tmp)
        env = {**ENV, "DLKIT_CACHE_DIR": str(tmp / "cache")}
        for kind in [k for k in ("train", "cache", "cold") if k in only]:
            cache = kind != "train"
            config = tmp / f"images-{cache}.yaml"
            write_config(config, data, args.epochs, cache)
            plain = [python, me, "--worker", "train", str(data), str(tmp), "cache" if cache else "stream"]
            plain += ["--epochs", str(args.epochs)]
            dlkit = [python, "-m", "dlkit", "train", str(config), "--runs-dir", str(tmp / "runs"), "-q"]
            if kind == "cold":  # an empty cache folder for each run
                dlkit = ["sh", "-c", f'DLKIT_CACHE_DIR="$(mktemp -d -p {tmp})" exec "$@"', "sh", *dlkit]
                name = "train, data.cache true, first run on the folder"
            else:
                run(dlkit, env, REPO)  # untimed: dlkit has seen the folder, as on a user's second run
                name = f"train, data.cache {str(cache).lower()}, a folder dlkit has seen"
            pairs(name, plain, dlkit, args.pairs, env, REPO)
        if "predict" in only:
            one = next((data / "test" / "c3").glob("*.png"))
            if not (tmp / "model.keras").exists():
                run([python, me, "--worker", "train", str(data), str(tmp), "stream", "--epochs", "1"], ENV, REPO)
            config = tmp / "images-predict.yaml"
            write_config(config, data, 1, False)
            train = [python, "-m", "dlkit", "train", str(config), "--runs-dir", str(tmp / "runs"), "-q"]
            run_dir = run(train, env, REPO)["out"]
            run_dir = run_dir.strip().splitlines()[-1]
            plain = [python, me, "--worker", "predict", str(tmp / "model.keras"), str(one)]
            dlkit = [python, "-m", "dlkit", "predict", str(one), "--run", run_dir]
            pairs("predict one image", plain, dlkit, args.pairs, env, REPO)


if __name__ == "__main__":
    main()
