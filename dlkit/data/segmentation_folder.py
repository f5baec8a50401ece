"""Images with per-pixel class masks: `path/images/<stem>.*` and `path/masks/<stem>.*`, any size and
format. Images are streamed from disk and resized bilinearly like `image_folder`; masks are read up
front (one byte a pixel at `image_size`) and resized to nearest neighbours, which never invents a
class id. A mask holds class indices (grey or palette PNG) or colours (`palette`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, PositiveInt, model_validator

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.core.strict import listed
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.images import IMAGE_SUFFIXES, ImageDecoder
from dlkit.data.paired_augment import PairedAugment
from dlkit.data.peek import OptionError, Peek
from dlkit.data.targets import MASKS, Target

if TYPE_CHECKING:
    import numpy as np


@DATASETS.register()
class SegmentationFolder(Dataset):
    """Images in path/images/ with class masks of the same stems in path/masks/ (task segmentation), streamed."""

    path: Path
    """The folder holding `images/` and `masks/`; an image and its mask share a file stem."""
    image_size: list[PositiveInt] = Field(min_length=2, max_length=2)
    """[height, width] every image (bilinear) and mask (nearest neighbour) is resized to."""
    channels: Literal[1, 3] = 3
    """1 for grayscale, 3 for RGB; images in other modes are converted."""
    classes: list[str] | None = None
    """The class names, mask value i being class i; default: from `palette`, else 0..the largest id."""
    palette: dict[str, list[int]] | None = None
    """Colour masks: {class_name: [r, g, b]}, the classes in this order; a colour not listed is an error."""
    augment: PairedAugment | None = None
    """Random flips, quarter turns, crops and zooms of each training image and its mask alike, and
    brightness/contrast of the image, as `{flip: [horizontal], rot90: true, zoom: 1.3}`."""

    @model_validator(mode="after")
    def _square_for_rot90(self):
        if self.augment is not None and self.augment.rot90 and self.image_size[0] != self.image_size[1]:
            raise ValueError(
                f"augment.rot90 turns images by 90 degrees: image_size must be square, not {self.image_size}"
            )
        return self

    def load(self) -> Arrays:
        import numpy as np

        pairs = self._pairs()
        height, width = self.image_size
        masks = [nearest(self._mask(image, mask), height, width) for image, mask in pairs]
        y = np.stack(masks)[..., None]
        classes = self._names() or [str(i) for i in range(max(int(y.max()) + 1, 2))]
        return Arrays(
            x_train=np.array([str(image) for image, _ in pairs]),
            y_train=y,
            class_names=classes,
            kind="image",
            decode=ImageDecoder(height, width, self.channels),
            example_shape=(height, width, self.channels),
            augment=None if self.augment is None else self.augment.apply,
        )

    def info(self) -> DatasetInfo:
        return DatasetInfo((*self.image_size, self.channels), self._names())

    def needs_tensorflow(self) -> dict[str, str]:
        return {"options.augment": "images and masks move together in tf.image's ops"} if self.augment else {}

    def peek(self, classes: bool = True) -> Peek:
        for sub in ("images", "masks"):
            if not (self.path / sub).is_dir():
                raise OptionError(("path",), f"{self.path}: no {sub}/ folder (it holds images/ and masks/)")
        return Peek(f"{self.path}", self._names(), target=Target(MASKS, *self.names_target()))

    def names_target(self) -> tuple[tuple, str]:
        return ("options", "path"), f"{self.path}"

    def _names(self) -> list[str] | None:
        if self.classes is not None and self.palette is not None and list(self.palette) != self.classes:
            raise OptionError(("palette",), "names the classes itself (in its order); leave classes out")
        return list(self.palette) if self.palette is not None else self.classes

    def _pairs(self) -> list[tuple[Path, Path]]:
        """(image, mask) files by stem; one without the other is an error naming it."""
        self.peek(classes=False)
        images, masks = (files_by_stem(self.path / sub) for sub in ("images", "masks"))
        if not images:
            raise DataError(f"{self.path / 'images'}: no {', '.join(sorted(IMAGE_SUFFIXES))} files")
        for stem in sorted(images.keys() ^ masks.keys()):
            if stem in images:
                raise DataError(f"{images[stem]}: no mask of this stem in {self.path / 'masks'}")
            raise DataError(f"{masks[stem]}: a mask without an image of this stem in {self.path / 'images'}")
        return [(images[stem], masks[stem]) for stem in sorted(images)]

    def _mask(self, image_path: Path, mask_path: Path) -> np.ndarray:
        """The mask's class ids at its own size, checked against its image and the classes."""
        from PIL import Image

        try:
            with Image.open(image_path) as image:
                size = image.size
            ids = read_mask(mask_path, self.palette)
        except DataError:
            raise
        except Exception as e:  # Pillow raises many types for a bad file; all mean the same here
            raise DataError(f"{mask_path}: not a readable image pair ({type(e).__name__}: {e})") from None
        if ids.shape[::-1] != size:
            raise DataError(
                f"{mask_path}: mask is {ids.shape[1]}x{ids.shape[0]} but its image {image_path.name} is "
                f"{size[0]}x{size[1]}; a mask must have its image's size"
            )
        names = self._names()
        if names is not None and ids.size and int(ids.max()) >= len(names):
            raise DataError(
                f"{mask_path}: class id {int(ids.max())}, but there are {len(names)} classes "
                f"({listed(names, 5)}); ids are 0..{len(names) - 1}"
            )
        return ids


def files_by_stem(folder: Path) -> dict[str, Path]:
    """The image files of `folder` by stem; two of one stem is an error naming them."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            if path.stem in found:
                raise DataError(f"{path}: a second file of stem {path.stem!r} ({found[path.stem].name})")
            found[path.stem] = path
    return found


def read_mask(path: Path, palette: dict[str, list[int]] | None) -> np.ndarray:
    """A mask file as (H, W) uint8 class ids: the values of a grey or palette image, or with
    `palette` each pixel's colour looked up."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        if palette is None:
            if image.mode in ("RGB", "RGBA"):
                rgb = np.asarray(image.convert("RGB"))
                if not (rgb == rgb[..., :1]).all():
                    raise DataError(f"{path}: a colour mask; give data.options.palette {{class: [r, g, b]}}")
                return rgb[..., 0].copy()
            # A 1-bit image is 0/1 (as a mask means it), not 0/255 as converting it would make it.
            ids = np.asarray(image if image.mode in ("1", "L", "P") else image.convert("I")).astype("int64")
            if ids.size and (ids.min() < 0 or ids.max() > 255):
                raise DataError(f"{path}: class ids must be 0..255. Received: {ids.min()}..{ids.max()}")
            return ids.astype("uint8")
        rgb = np.asarray(image.convert("RGB")).astype("int32")
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    table = {(r << 16) | (g << 8) | b: i for i, (r, g, b) in enumerate(palette.values())}
    colours, inverse = np.unique(codes, return_inverse=True)
    unknown = [int(c) for c in colours if int(c) not in table]
    if unknown:
        shown = [[c >> 16, (c >> 8) & 255, c & 255] for c in unknown]
        raise DataError(f"{path}: colour(s) {listed(shown, 3)} not in data.options.palette")
    return np.array([table[int(c)] for c in colours], dtype="uint8")[inverse].reshape(codes.shape)


def nearest(ids: np.ndarray, height: int, width: int) -> np.ndarray:
    """`ids` resized to (height, width) by nearest neighbour (pixel centres), so every value is one
    that was there."""
    import numpy as np

    rows = np.minimum((np.arange(height) + 0.5) * ids.shape[0] / height, ids.shape[0] - 1).astype("int64")
    cols = np.minimum((np.arange(width) + 0.5) * ids.shape[1] / width, ids.shape[1] - 1).astype("int64")
    return ids[rows][:, cols]
