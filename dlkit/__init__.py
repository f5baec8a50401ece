"""dlkit: train Keras 3 models from a YAML experiment file."""

__version__ = "0.1.0"
