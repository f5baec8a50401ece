"""The experiment config: pydantic models per section, loaded from YAML with `extends:` and `--set`."""

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.loader import load_config, parse_config

__all__ = ["ExperimentConfig", "load_config", "parse_config"]
