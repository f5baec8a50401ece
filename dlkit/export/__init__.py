"""`dlkit export`: a run's `model.keras` written in another runtime's format, checked against the
Keras model on the test split (the parity report). Each module of `dlkit.export.formats` registers
one format on `FORMATS`, so a new format is a new file there.

Importing this package loads the registry only: TensorFlow and the converters load when a format
writes or runs a model."""

from __future__ import annotations

from dlkit.registry import Registry

FORMATS = Registry("export format", "formats", package="dlkit.export.formats")

__all__ = ["FORMATS"]
