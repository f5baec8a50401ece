"""`dlkit export`: a run's `model.keras` written in another runtime's format, checked against the
Keras model on the test split (the parity report). Each module of `dlkit.export.formats` registers
one format on the `FORMATS` root (`dlkit.core.registries`), so a new format is a new file there.

Importing this package loads nothing heavy: TensorFlow and the converters load when a format
writes or runs a model."""
