"""The U-Net of configs/unet_shapes.yaml written in plain Keras, for comparison (docs/examples.md
`## Segmentation`): the same layers (117,092 parameters), loss (sparse cross-entropy + soft Dice),
optimizer, batch size, epochs, augmentation (flips and quarter turns of image and mask together)
and model choice (the epoch with the best validation mean IoU), on the same generated folder.
The split is its own seeded 70/10/20 permutation (not dlkit's).

    python -m dlkit make-data shapes-segmentation data/shapes --n 600 --size 64
    python benchmarks/unet_plain.py data/shapes --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CLASSES = 4


def load(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    stems = sorted(p.stem for p in (folder / "images").glob("*.png"))
    x = np.stack([np.asarray(Image.open(folder / "images" / f"{s}.png").convert("RGB")) for s in stems])
    y = np.stack([np.asarray(Image.open(folder / "masks" / f"{s}.png")) for s in stems])[..., None]
    return x, y


def unet(keras, shape):
    conv = lambda f: keras.layers.Conv2D(f, 3, padding="same", activation="relu")  # noqa: E731
    inputs = keras.Input(shape)
    x = keras.layers.Rescaling(1 / 255)(inputs)
    enc1 = conv(16)(conv(16)(x))
    enc2 = conv(32)(conv(32)(keras.layers.MaxPooling2D()(enc1)))
    x = conv(64)(conv(64)(keras.layers.MaxPooling2D()(enc2)))
    x = keras.layers.Concatenate()([keras.layers.Conv2DTranspose(32, 2, strides=2)(x), enc2])
    x = conv(32)(conv(32)(x))
    x = keras.layers.Concatenate()([keras.layers.Conv2DTranspose(16, 2, strides=2)(x), enc1])
    x = conv(16)(conv(16)(x))
    return keras.Model(inputs, keras.layers.Conv2D(CLASSES, 1, activation="softmax")(x))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    x, y = load(args.folder)
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_test, n_val = int(0.2 * len(x)), int(0.1 * len(x))
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]

    def augment(image, mask):
        both = tf.concat([tf.cast(image, tf.float32), tf.cast(mask, tf.float32)], axis=-1)
        both = tf.image.random_flip_left_right(tf.image.random_flip_up_down(both))
        both = tf.image.rot90(both, tf.random.uniform([], 0, 4, tf.int32))
        return both[..., :3], tf.cast(both[..., 3:], tf.uint8)

    train_ds = tf.data.Dataset.from_tensor_slices((x[train], y[train])).shuffle(len(train), seed=args.seed)
    train_ds = train_ds.map(augment).batch(16).prefetch(2)

    def loss(y_true, y_pred):
        truth = tf.one_hot(tf.cast(y_true[..., 0], tf.int32), CLASSES)
        overlap = tf.reduce_sum(truth * y_pred, [0, 1, 2])
        total = tf.reduce_sum(truth + y_pred, [0, 1, 2])
        dice = 1 - tf.reduce_mean((2 * overlap + 1) / (total + 1))
        return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y_true, y_pred)) + dice

    model = unet(keras, x.shape[1:])
    iou = keras.metrics.MeanIoU(CLASSES, sparse_y_pred=False, name="mean_iou")
    model.compile(keras.optimizers.Adam(0.003), loss, metrics=["accuracy", iou])
    best = Path(f"/tmp/unet_plain_{args.seed}.weights.h5")
    keep = keras.callbacks.ModelCheckpoint(
        best, "val_mean_iou", mode="max", save_best_only=True, save_weights_only=True
    )
    model.fit(train_ds, validation_data=(x[val], y[val]), epochs=args.epochs, callbacks=[keep], verbose=2)
    model.load_weights(best)
    predicted = model.predict(x[test], verbose=0).argmax(-1)
    truth = y[test][..., 0]
    ious = [
        np.sum((truth == c) & (predicted == c)) / np.sum((truth == c) | (predicted == c))
        for c in range(CLASSES)
        if np.any((truth == c) | (predicted == c))
    ]
    dice = [
        2 * np.sum((truth == c) & (predicted == c)) / (np.sum(truth == c) + np.sum(predicted == c))
        for c in range(CLASSES)
        if np.any((truth == c) | (predicted == c))
    ]
    print(f"params {model.count_params():,}")
    print(
        f"seed {args.seed}: test mean IoU {np.mean(ious):.4f}  dice {np.mean(dice):.4f}  "
        f"per-class IoU {np.round(ious, 4)}"
    )


if __name__ == "__main__":
    main()
