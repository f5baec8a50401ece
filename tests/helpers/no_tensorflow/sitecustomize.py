"""On PYTHONPATH, makes the process one without TensorFlow, as an install of `dlkit[jax]` alone is:
the path finder finds no `tensorflow` (nor its submodules), so `importlib.util.find_spec` answers
None and `import tensorflow` raises ModuleNotFoundError, as where it is not installed.
tests/e2e/test_without_tensorflow.py runs dlkit's commands so."""

import importlib.machinery
import sys


class _PathFinderWithoutTensorflow(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] == "tensorflow":
            return None
        return super().find_spec(name, path, target)


sys.meta_path[:] = [
    _PathFinderWithoutTensorflow if finder is importlib.machinery.PathFinder else finder for finder in sys.meta_path
]
