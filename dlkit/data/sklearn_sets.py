"""scikit-learn's bundled tables (iris, wine, breast_cancer, diabetes): always there, no network."""

from __future__ import annotations

from typing import ClassVar

from dlkit.core.registries import DATASETS
from dlkit.data.dataset import Arrays, Dataset, DatasetInfo
from dlkit.data.peek import Peek


class _SklearnTable(Dataset):
    """A `sklearn.datasets.load_<name>()` table as float32 (N, F) features; dlkit splits off the test set."""

    #: What `info()` knows without loading: the number of features and the class names (None: regression).
    features: ClassVar[int]
    classes: ClassVar[list[str] | None]
    to_csv: ClassVar = True

    def load(self) -> Arrays:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{self.type_name}")()
        regression = self.classes is None
        return Arrays(
            x_train=bunch.data.astype("float32"),
            y_train=bunch.target.astype("float32" if regression else "int64"),
            class_names=None if regression else [str(c) for c in bunch.target_names],
            kind="array",
            feature_names=[str(f) for f in bunch.feature_names],
        )

    def info(self) -> DatasetInfo:
        return DatasetInfo((self.features,), None if self.classes is None else list(self.classes), "array")

    def peek(self, classes: bool = True) -> Peek:
        return Peek(self.type_name, self.info().class_names, target_width=1)


@DATASETS.register()
class Iris(_SklearnTable):
    """Iris flowers: 150 x 4 float32 measurements, 3 species (scikit-learn, no download)"""

    features: ClassVar = 4
    classes: ClassVar = ["setosa", "versicolor", "virginica"]


@DATASETS.register()
class Wine(_SklearnTable):
    """Wine chemistry: 178 x 13 float32 features, 3 cultivars (scikit-learn, no download)"""

    features: ClassVar = 13
    classes: ClassVar = ["class_0", "class_1", "class_2"]


@DATASETS.register()
class BreastCancer(_SklearnTable):
    """Breast cancer (Wisconsin): 569 x 30 float32 features, 2 classes malignant/benign (scikit-learn, no download)"""

    features: ClassVar = 30
    classes: ClassVar = ["malignant", "benign"]


@DATASETS.register()
class Diabetes(_SklearnTable):
    """Diabetes progression: 442 x 10 float32 features (sklearn-scaled), float32 target (scikit-learn, no download)"""

    features: ClassVar = 10
    classes: ClassVar = None
