"""The Keras datasets, read from `options.path` or the Keras cache, else downloaded by `keras.datasets`.

Files already on disk are parsed here, not by Keras, so no TensorFlow and no network are needed for them.
CIFAR batches and the imdb/reuters word lists are pickles: they are read with an unpickler that can only
rebuild numpy arrays, so a tampered file cannot run code.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import urllib.error
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from dlkit.core.errors import DataError
from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.keras_files import paired, read_cifar, read_idx, read_npz
from dlkit.data.peek import OptionError, Peek

if TYPE_CHECKING:
    import numpy as np


def keras_cache() -> Path:
    """Where Keras downloads datasets: `$KERAS_HOME/datasets`, by default `~/.keras/datasets`."""
    home = os.environ["KERAS_HOME"] if "KERAS_HOME" in os.environ else Path.home() / ".keras"
    return Path(home).expanduser() / "datasets"


def _network_error(error: BaseException | None) -> BaseException | None:
    """The failed connection behind a download error; Keras re-raises it as a plain `Exception`."""
    while error is not None:
        if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError, socket.gaierror)):
            return error
        error = error.__cause__ or error.__context__
    return None


class KerasDataset(Dataset):
    """A dataset of `keras.datasets`: from `path`, else from the Keras cache, else downloaded."""

    path: Path | None = None
    """A local copy in the Keras format (see `dlkit list datasets`); relative to the working directory."""

    #: Where Keras keeps it under its cache's `datasets/` (Keras 3 and Keras 2 layouts); the first is suggested.
    cached: ClassVar[tuple[str, ...]] = ()
    #: What to put there, as the offline message says it.
    local_copy: ClassVar[str] = ""
    #: For a folder: the files it must hold. Empty for a single file.
    required: ClassVar[tuple[str, ...]] = ()

    def read(self, source: Path) -> tuple[tuple, tuple]:
        """`((x_train, y_train), (x_test, y_test))` from a local copy, as `keras.datasets` returns them."""
        raise NotImplementedError

    def arrays(self, train: tuple, test: tuple) -> Arrays:
        """Keras's tuples as `Arrays`."""
        raise NotImplementedError

    def keras_args(self) -> dict[str, Any]:
        """The options `keras.datasets.<name>.load_data` takes."""
        return {}

    def load(self) -> Arrays:
        source = self.path or self.in_cache()
        if source is None:
            arrays = self.arrays(*self._download())
        else:
            self._check_source(source)
            arrays = self.arrays(*self.read(source))
        self._check(arrays, source or f"keras.datasets.{self.type_name}")
        return arrays

    def peek(self, classes: bool = True) -> Peek:
        """A local copy must be there; without one, the data comes from the cache or the network."""
        if self.path is not None:
            self._check_source(self.path)
        return Peek(self.type_name, self.info().class_names, target_width=1)

    def in_cache(self) -> Path | None:
        for candidate in (keras_cache() / p for p in self.cached):
            complete = all((candidate / f).is_file() for f in self.required) if self.required else candidate.is_file()
            if complete:
                return candidate
        return None

    def _check_source(self, source: Path) -> None:
        if not self.required:
            if not source.is_file():
                raise OptionError(("path",), f"no such file: {source}")
        elif not source.is_dir():
            raise OptionError(("path",), f"{self.type_name} needs {self.local_copy}. Received: {source}")
        elif missing := [f for f in self.required if not (source / f).is_file()]:
            raise OptionError(
                ("path",), f"{source}: missing {', '.join(missing)}; {self.type_name} needs {self.local_copy}"
            )

    def _download(self) -> tuple[tuple, tuple]:
        from dlkit.core.backend import keras

        try:
            # Keras prints "Downloading data from ..." and its progress bar on stdout, whose last line
            # is the run folder (or the JSON) a script reads.
            with contextlib.redirect_stdout(sys.stderr):
                return getattr(keras().datasets, self.type_name).load_data(**self.keras_args())
        except Exception as e:
            failed = _network_error(e)
            if failed is None:
                raise
            reason = str(e) if isinstance(failed, urllib.error.HTTPError) else "no network"
            raise DataError(
                f"cannot download {self.type_name} ({reason}). Put {self.local_copy} at "
                f"{keras_cache() / self.cached[0]} or set data.options.path"
            ) from None

    def _check(self, arrays: Arrays, source: Path | str) -> None:
        """A local copy must give what `info()` promised, or `validate --dry-run` would build another model."""
        import numpy as np

        info = self.info()
        for x, y in ((arrays.x_train, arrays.y_train), (arrays.x_test, arrays.y_test)):
            if x is None:
                continue
            if x.shape[1:] != info.shape or y.shape != x.shape[:1] or (arrays.kind == "image" and x.dtype != np.uint8):
                raise DataError(
                    f"{source}: not {self.type_name} in the Keras format; expected {info.shape} "
                    f"{'uint8 images' if arrays.kind == 'image' else 'examples'} with one label each. "
                    f"Received: x {x.dtype} {x.shape}, y {y.shape}"
                )
            if info.class_names and len(y) and not 0 <= y.min() <= y.max() < len(info.class_names):
                raise DataError(
                    f"{source}: {self.type_name} labels must be 0..{len(info.class_names) - 1}. "
                    f"Received: {y.min()}..{y.max()}"
                )


class _Images(KerasDataset):
    def arrays(self, train: tuple, test: tuple) -> Arrays:
        (x_train, y_train), (x_test, y_test) = train, test
        return Arrays(
            _channels_last(x_train),
            labels_1d(y_train),
            _channels_last(x_test),
            labels_1d(y_test),
            self.info().class_names,
        )


def _channels_last(x: np.ndarray) -> np.ndarray:
    if x.ndim == 3:  # grayscale (N, H, W)
        return x[..., None]
    if x.ndim == 4 and x.shape[1] == 3 and x.shape[-1] != 3:  # Keras's CIFAR when keras.json says channels_first
        return x.transpose(0, 2, 3, 1)
    return x


def labels_1d(y: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(y).reshape(-1).astype("int64")  # CIFAR's come as (N, 1)


@DATASETS.register()
class Mnist(_Images):
    """MNIST handwritten digits: 60,000 + 10,000 28x28x1 uint8 images, 10 classes (Keras download or options.path)

    A local copy is Keras's mnist.npz: x_train (N, 28, 28) uint8, y_train, x_test, y_test."""

    cached: ClassVar = ("mnist.npz",)
    local_copy: ClassVar = "mnist.npz"

    def read(self, source: Path) -> tuple[tuple, tuple]:
        a = read_npz(source, ("x_train", "y_train", "x_test", "y_test"), self.max_bytes)
        return (a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])

    def info(self) -> DatasetInfo:
        return DatasetInfo((28, 28, 1), [str(d) for d in range(10)])


FASHION_CLASSES = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot".split(",")


@DATASETS.register()
class FashionMnist(_Images):
    """Fashion-MNIST clothing: 60,000 + 10,000 28x28x1 uint8 images, 10 classes (Keras download or options.path)

    A local copy is the folder of the four gzipped IDX files Keras downloads."""

    cached: ClassVar = ("fashion-mnist",)
    required: ClassVar = (
        "train-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
    )
    local_copy: ClassVar = f"the folder of {', '.join(required)}"

    def read(self, source: Path) -> tuple[tuple, tuple]:
        y_train, x_train, y_test, x_test = (read_idx(source / f, 3 if "images" in f else 1) for f in self.required)
        return (x_train, y_train), (x_test, y_test)

    def info(self) -> DatasetInfo:
        return DatasetInfo((28, 28, 1), list(FASHION_CLASSES))


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@DATASETS.register()
class Cifar10(_Images):
    """CIFAR-10 photos: 50,000 + 10,000 32x32x3 uint8 images, 10 classes (Keras download or options.path)

    A local copy is the extracted cifar-10-batches-py folder (pickled data_batch_1..5 and test_batch)."""

    cached: ClassVar = ("cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py")
    required: ClassVar = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
    local_copy: ClassVar = "the extracted cifar-10-batches-py folder"

    def read(self, source: Path) -> tuple[tuple, tuple]:
        import numpy as np

        batches = [read_cifar(source / f, "labels") for f in self.required]
        x_train, y_train = (np.concatenate(parts) for parts in zip(*batches[:-1], strict=True))
        return (x_train, y_train), batches[-1]

    def info(self) -> DatasetInfo:
        return DatasetInfo((32, 32, 3), list(CIFAR10_CLASSES))


# The order of `fine_label_names` and `coarse_label_names` in cifar-100-python/meta (alphabetical).
CIFAR100_FINE = """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly
camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin
elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man
maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain
plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake
spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip
turtle wardrobe whale willow_tree wolf woman worm""".split()
CIFAR100_COARSE = """aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices
household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes
large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1
vehicles_2""".split()


@DATASETS.register()
class Cifar100(_Images):
    """CIFAR-100: 50,000 + 10,000 32x32x3 uint8 images, 100 fine or 20 coarse classes (Keras download or options.path)

    A local copy is the extracted cifar-100-python folder (pickled train and test)."""

    label_mode: Literal["fine", "coarse"] = "fine"
    """`fine`: the 100 classes; `coarse`: the 20 superclasses they are grouped in."""

    cached: ClassVar = ("cifar-100-python", "cifar-100-python-target/cifar-100-python")
    required: ClassVar = ("train", "test")
    local_copy: ClassVar = "the extracted cifar-100-python folder"

    def read(self, source: Path) -> tuple[tuple, tuple]:
        train, test = (read_cifar(source / f, f"{self.label_mode}_labels") for f in self.required)
        return train, test

    def keras_args(self) -> dict[str, Any]:
        return {"label_mode": self.label_mode}

    def info(self) -> DatasetInfo:
        return DatasetInfo((32, 32, 3), list(CIFAR100_FINE if self.label_mode == "fine" else CIFAR100_COARSE))


BOSTON_FEATURES = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT"]


@DATASETS.register()
class BostonHousing(KerasDataset):
    """Boston house prices: 506 x 13 float32 features, float32 target in k$ (Keras download or options.path)

    A regression task; see Keras's warning on its feature B. A local copy is Keras's boston_housing.npz: x, y."""

    test_split: float = Field(0.2, ge=0, lt=1)
    """Fraction kept as the test split, after Keras's shuffle; 0 leaves it to data.split.test."""
    seed: int = Field(113, ge=0, lt=2**32)
    """Seed of that shuffle (113 as in Keras)."""

    cached: ClassVar = ("boston_housing.npz",)
    local_copy: ClassVar = "boston_housing.npz"
    to_csv: ClassVar = True

    def keras_args(self) -> dict[str, Any]:
        return {"test_split": self.test_split, "seed": self.seed}

    def read(self, source: Path) -> tuple[tuple, tuple]:
        import numpy as np

        a = read_npz(source, ("x", "y"), self.max_bytes)
        paired(source, a["x"], a["y"])
        order = np.random.RandomState(self.seed).permutation(len(a["x"]))
        x, y = a["x"][order], a["y"][order]
        cut = int(len(x) * (1 - self.test_split))
        return (x[:cut], y[:cut]), (x[cut:], y[cut:])

    def arrays(self, train: tuple, test: tuple) -> Arrays:
        (x_train, y_train), (x_test, y_test) = train, test
        has_test = len(x_test) > 0
        return Arrays(
            x_train.astype("float32"),
            y_train.astype("float32"),
            x_test.astype("float32") if has_test else None,
            y_test.astype("float32") if has_test else None,
            kind="array",
            feature_names=list(BOSTON_FEATURES),
        )

    def info(self) -> DatasetInfo:
        return DatasetInfo((13,), None, "array")
