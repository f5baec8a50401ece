"""Datasets (a registry of loaders) and the preprocessing steps applied to them."""

import dlkit.data.segmentation_folder  # noqa: F401  (registers the loader)
from dlkit.core.registries import DATASETS, PREPROCESS
from dlkit.data import digits, image_folder, keras_datasets, keras_words, npz, sequence, sklearn_sets, table, text  # noqa: F401  (registers the loaders)
from dlkit.data.dataset import Arrays, Dataset

__all__ = ["DATASETS", "PREPROCESS", "Arrays", "Dataset"]
