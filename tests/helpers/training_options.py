"""Loading a training-options config."""

from conftest import write_config
from dlkit.config import load_config


def _config(tmp_path, data, *sets):
    return load_config(write_config(tmp_path, data), list(sets))
