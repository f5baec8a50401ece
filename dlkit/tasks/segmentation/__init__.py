"""Segmentation: a class per pixel (`task.py`) and its per-class report (`report.py`)."""

from dlkit.tasks.segmentation import task  # noqa: F401  (registers the task)
