"""`dlkit make-data shapes-segmentation DIR`: random circles, squares and triangles on noisy
backgrounds, with their class masks, in the layout `segmentation_folder` reads (seeded)."""

from __future__ import annotations

from pathlib import Path

#: Mask values: 0 is the background, then one id per shape.
SHAPE_CLASSES = ("background", "circle", "square", "triangle")


def shapes_segmentation(folder: Path, n: int, size: int, seed: int) -> None:
    """`n` RGB images of `size` x `size` pixels into folder/images/, their masks (class ids,
    SHAPE_CLASSES) into folder/masks/, and the class names into folder/classes.txt."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for sub in ("images", "masks"):
        (folder / sub).mkdir(parents=True)
    for i in range(n):
        background = rng.integers(0, 256, 3)
        pixels = background + rng.normal(0, 25, (size, size, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))
        mask = Image.new("L", (size, size), 0)
        for _ in range(rng.integers(1, 4)):
            shape = int(rng.integers(1, len(SHAPE_CLASSES)))
            radius = rng.uniform(size / 10, size / 4)
            cx, cy = rng.uniform(radius, size - radius, 2)
            colour = tuple(int(c) for c in (background + rng.integers(80, 176, 3)) % 256)
            for canvas, fill in ((ImageDraw.Draw(image), colour), (ImageDraw.Draw(mask), shape)):
                _draw(canvas, SHAPE_CLASSES[shape], cx, cy, radius, fill)
        image.save(folder / "images" / f"{i:05d}.png")
        mask.save(folder / "masks" / f"{i:05d}.png")
    (folder / "classes.txt").write_text("\n".join(SHAPE_CLASSES) + "\n")


def _draw(canvas, shape: str, cx: float, cy: float, r: float, fill) -> None:
    if shape == "circle":
        canvas.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "square":
        canvas.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:
        canvas.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
