"""`segmentation_folder`'s masks: nearest-neighbour resizing, colour masks through the palette, and
the file modes read as class ids."""

import numpy as np
import pytest
from PIL import Image

from dlkit.data.segmentation_folder import nearest
from helpers.segmentation import pair


def test_nearest_resize_never_invents_a_class():
    """Masks of ids {0, 3, 7} resized up and down to odd sizes hold only those ids; a bilinear
    resize of the same mask would make 1, 2, 4... at the borders."""
    rng = np.random.default_rng(2)
    ids = rng.choice(np.array([0, 3, 7], "uint8"), (37, 23))
    for size in ((5, 9), (64, 41), (37, 23), (100, 7)):
        resized = nearest(ids, *size)
        assert resized.shape == size
        assert set(np.unique(resized)) <= {0, 3, 7}
    assert (nearest(ids, 37, 23) == ids).all()


def test_colour_masks_through_the_palette(tmp_path):
    """With `palette`, each colour is its class in the palette's order; a colour not in it is an error."""
    from dlkit.core.errors import DataError
    from dlkit.core.registries import DATASETS

    root = tmp_path / "colours"
    pair(root, "a")
    rgb = np.zeros((20, 30, 3), "uint8")
    rgb[5:10, 5:10] = (255, 0, 0)
    rgb[12:15, 20:25] = (0, 0, 255)
    Image.fromarray(rgb).save(root / "masks" / "a.png")
    palette = {"background": [0, 0, 0], "road": [255, 0, 0], "water": [0, 0, 255]}
    loader = DATASETS.parse({"type": "segmentation_folder", "path": root, "image_size": [20, 30], "palette": palette})
    arrays = loader.load()
    assert arrays.class_names == ["background", "road", "water"]
    mask = arrays.y_train[0, ..., 0]
    assert (mask[5:10, 5:10] == 1).all() and (mask[12:15, 20:25] == 2).all() and mask.sum() == 25 + 2 * 15
    del palette["water"]
    loader = DATASETS.parse({"type": "segmentation_folder", "path": root, "image_size": [20, 30], "palette": palette})
    with pytest.raises(DataError, match=r"a\.png: colour\(s\) \[0, 0, 255\] not in data.options.palette"):
        loader.load()


def test_mask_file_modes_read_as_class_ids(tmp_path):
    """Grey, palette (P: the indices, not the colours) and 1-bit (0/1, not 0/255) masks."""
    from dlkit.data.segmentation_folder import read_mask

    ids = np.array([[0, 1, 2], [3, 0, 1]], "uint8")
    Image.fromarray(ids, "L").save(tmp_path / "grey.png")
    palette = Image.fromarray(ids, "P")
    palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    palette.save(tmp_path / "palette.png")
    Image.fromarray(ids > 1).save(tmp_path / "bits.png")
    assert (read_mask(tmp_path / "grey.png", None) == ids).all()
    assert (read_mask(tmp_path / "palette.png", None) == ids).all()
    assert Image.open(tmp_path / "bits.png").mode == "1"
    assert (read_mask(tmp_path / "bits.png", None) == (ids > 1)).all()
