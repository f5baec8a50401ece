"""Datasets (a registry of loaders) and the preprocessing steps applied to them. Each loader module
registers its datasets on `DATASETS` (`dlkit.core.registries`), which imports only the one a config
names; importing this package imports none of them."""

from dlkit.core.registries import DATASETS, PREPROCESS
from dlkit.data.dataset import Arrays, Dataset

__all__ = ["DATASETS", "PREPROCESS", "Arrays", "Dataset"]
