"""What `dlkit init` finds in a folder (class sub-folders of images or texts, or `images/` and
`masks/` for segmentation), a `.npz` of arrays or a `.npy` series."""

from __future__ import annotations

import zipfile
from pathlib import Path

from dlkit.autoconfig.draft import MASKS, MAX_CLASSES, NUMBERS, ORDERED_SPLIT, Draft, class_target, task_for
from dlkit.core.errors import DataError
from dlkit.data.bounds import check_npz
from dlkit.data.images import IMAGE_SUFFIXES

#: Longest image side `dlkit init` proposes: a small CNN on CPU trains in minutes at this size.
MAX_SIDE = 64
#: Images opened to learn their size and colour mode.
SAMPLED_IMAGES = 60


def sniff_folder(path: Path) -> Draft:
    """Class sub-folders of images or texts; or `train/` and `test/` folders of them (a common
    layout), read as the dataset and its own test split; `images/` and `masks/`: segmentation."""
    if (path / "images").is_dir() and (path / "masks").is_dir():
        return sniff_segmentation(path)
    train, test = path / "train", path / "test"
    if train.is_dir() and any(p.is_dir() for p in train.iterdir()):
        draft = sniff_folder(train)
        draft.data = path
        if test.is_dir():
            draft.options["test_path"] = test
            draft.notes.append(f"test_path {test}: the folder's own test split, with the same class folders")
        return draft
    classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    images = {c.name: [f for f in c.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES] for c in classes}
    texts = {c.name: list(c.glob("*.txt")) for c in classes}
    found = {"image": images, "text": texts}
    kind = max(found, key=lambda k: sum(map(len, found[k].values())))
    files = {name: f for name, f in found[kind].items() if f}
    if not files:
        raise DataError(
            f"{path}: no class sub-folders of images or .txt files; dlkit init reads "
            f"{path}/<class_name>/<files>, a .csv, a .npz or a .npy"
        )
    if len(files) < 2:
        raise DataError(f"{path}: one class folder ({next(iter(files))}); a classifier needs two or more")
    count = sum(map(len, files.values()))
    target, why = class_target(len(files), "the folder")
    notes = [f"{kind} classes: the {len(files)} sub-folders ({_names(files)}), {count:,} files", why]
    if kind == "text":
        options = {"path": path, "max_tokens": 20_000, "sequence_length": 200}
        notes.append("text: the first 200 words of each file, a vocabulary of up to 20,000 words")
        return Draft(
            path,
            f"a folder of texts ({count:,} files)",
            "text_folder",
            options,
            "text",
            target,
            classes=len(files),
            examples=count,
            notes=notes,
        )
    options = {"path": path, **_image_options([f for fs in files.values() for f in fs], notes)}
    return Draft(
        path,
        f"a folder of images ({count:,} files)",
        "image_folder",
        options,
        "cnn",
        target,
        classes=len(files),
        examples=count,
        notes=notes,
        rescale=True,
    )


def _names(files: dict) -> str:
    names = list(files)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def sniff_segmentation(path: Path) -> Draft:
    """Images with a class mask each of the same stem (`dlkit make-data shapes-segmentation`): the
    classes are the mask values (names from a `classes.txt` beside them); masks of 0 and 255 are
    one foreground class, read through a palette."""
    import numpy as np

    from dlkit.data.segmentation_folder import files_by_stem, read_mask

    images, masks = (files_by_stem(path / sub) for sub in ("images", "masks"))
    alone = sorted(images.keys() ^ masks.keys())
    if alone or not images:
        example = f" (e.g. {alone[0]!r})" if alone else ""
        raise DataError(f"{path}: images/ and masks/ must hold files of the same stems, one each{example}")
    ids = sorted(set().union(*(np.unique(read_mask(masks[stem], None)).tolist() for stem in images)))
    notes = [f"segmentation: {len(images):,} images in images/, each with the mask of its stem in masks/"]
    options = {"path": path, **_image_options(list(images.values()), notes, even=True)}
    names = (path / "classes.txt").read_text().split() if (path / "classes.txt").is_file() else []
    if ids == [0, 255]:
        options["palette"] = {"background": [0, 0, 0], "foreground": [255, 255, 255]}
        notes.append("palette: the masks hold 0 and 255, background and one foreground class")
    elif len(names) > ids[-1]:
        options["classes"] = names
        notes.append(f"classes {names}: from classes.txt, mask value i being class i")
    else:
        notes.append(f"classes 0..{max(ids[-1], 1)}: the values the masks hold (no classes.txt naming them)")
    classes = len(options.get("palette") or options.get("classes") or range(max(ids[-1], 1) + 1))
    what = f"a folder of images and masks ({len(images):,} pairs)"
    draft = Draft(path, what, "segmentation_folder", options, "unet", MASKS, classes=classes, notes=notes)
    draft.rescale, draft.examples = True, len(images)
    return draft


def _image_options(files: list[Path], notes: list[str], even: bool = False) -> dict:
    """`image_size` and `channels` for a sample of `files`, with a note on each; `even`: sides a
    pooling layer halves and a transposed convolution doubles back."""
    size, channels, seen = _image_shape(files)
    size = [side + side % 2 for side in size] if even else size
    notes.append(
        f"image_size {size}: the images are {seen[0]}x{seen[1]} (height x width, the median)"
        + (f", made smaller so the longer side is {MAX_SIDE} and training is quick" if max(seen) > MAX_SIDE else "")
    )
    notes.append(f"channels {channels}: " + ("every image sampled is grayscale" if channels == 1 else "colour images"))
    return {"image_size": size, "channels": channels}


def _image_shape(files: list[Path]) -> tuple[list[int], int, tuple[int, int]]:
    """([height, width] to resize to, channels, the median size seen) from a sample of the images."""
    import numpy as np
    from PIL import Image

    step = max(1, len(files) // SAMPLED_IMAGES)
    sizes, gray = [], True
    for path in files[::step][:SAMPLED_IMAGES]:
        try:
            with Image.open(path) as image:
                sizes.append((image.height, image.width))
                gray = gray and image.mode in ("1", "L", "LA", "I", "I;16", "F")
        except Exception as e:  # Pillow raises many types for a bad file; all mean the same here
            raise DataError(f"{path}: not a readable image ({type(e).__name__}: {e})") from None
    height, width = (int(v) for v in np.median(np.array(sizes), axis=0))
    scale = min(1.0, MAX_SIDE / max(height, width))
    return [max(8, round(height * scale)), max(8, round(width * scale))], 1 if gray else 3, (height, width)


def sniff_npz(path: Path) -> Draft:
    import numpy as np

    check_npz(path, None, ("x_train", "y_train"))  # what would not fit in memory is not loaded to look at
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files if k in ("x_train", "y_train")}
            names = list(f.files)
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    if len(arrays) < 2:
        raise DataError(f"{path}: expected arrays x_train and y_train (Keras's format). Received: {', '.join(names)}")
    x, y = arrays["x_train"], arrays["y_train"]
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if x.ndim not in (2, 3, 4) or x.dtype.kind not in "iuf" or len(x) != len(y):
        raise DataError(
            f"{path}: x_train must be numbers of shape (N, features), (N, steps, features) or images "
            f"(N, H, W[, C]), with one y_train per example. Received: x_train {x.dtype} {x.shape}, y_train {y.shape}"
        )
    pixels = x.dtype == np.uint8
    image = x.ndim == 4 or (pixels and x.ndim == 3)
    model = "cnn" if image else {2: "mlp", 3: "lstm"}[x.ndim]
    found = {
        "cnn": f"images, for a CNN ({'uint8 pixels: rescaled to 0-1' if pixels else 'not uint8: used as they are'})",
        "mlp": "rows of numeric features, for an MLP",
        "lstm": "(steps, features) sequences, not uint8 pixels: for an LSTM",
    }[model]
    options = {"path": path, "kind": "image" if image else "array"}
    what = f"a .npz of arrays x_train {x.shape} and y_train {y.shape}"
    notes = [f"x_train {x.dtype} {x.shape}: {found}"]
    draft = Draft(
        path,
        what,
        "npz",
        options,
        model,
        NUMBERS,
        notes=notes,
        rescale=image and pixels,
        normalize=not image,
        examples=len(x),
    )
    integral = y.dtype.kind in "iub" or (y.dtype.kind == "f" and bool(np.all(np.mod(y, 1) == 0)))
    distinct = np.unique(y) if y.ndim == 1 else np.array([])
    if y.ndim == 1 and integral and 2 <= len(distinct) <= MAX_CLASSES and distinct.min() >= 0:
        draft.classes = int(distinct.max()) + 1
        draft.target, why = class_target(draft.classes, "y_train")
        draft.notes.append(f"{why} (whole numbers 0..{draft.classes - 1})")
    else:
        draft.outputs = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
        each = "numbers" if y.ndim == 1 else f"{draft.outputs} numbers each"
        draft.notes.append(f"task {task_for(NUMBERS)}: y_train holds {each}")
    return draft


def sniff_npy(path: Path) -> Draft:
    import numpy as np

    try:
        series = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read as .npy: {e}") from None
    if series.ndim not in (1, 2) or series.dtype.kind not in "iuf":
        raise DataError(f"{path}: a series is numbers of shape (steps,) or (steps, features). Received: {series.shape}")
    window = series_window(len(series))
    notes = [
        f"a time series of {len(series):,} steps" + (f", {series.shape[1]} features" if series.ndim == 2 else ""),
        f"window {window}: each example is {window} steps; the target is the next value (of the last column)",
    ]
    options = {"path": path, "target": -1, "window": window}
    return Draft(
        path,
        f"a .npy series {series.shape}",
        "sequence",
        options,
        "lstm",
        NUMBERS,
        notes=notes,
        normalize=True,
        split=ORDERED_SPLIT,
    )


def series_window(steps: int) -> int:
    """Time steps per example: 30, fewer for a short series so that it still gives many windows."""
    if steps < 40:
        raise DataError(f"a series of {steps} steps is too short to learn from windows of it (40 or more)")
    return max(2, min(30, steps // 20))
