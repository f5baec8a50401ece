"""The experiment config: pydantic models per section, loaded from YAML with `extends:` and `--set`."""

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.loader import dump_config, load_config, load_run_config, parse_config

__all__ = ["ExperimentConfig", "dump_config", "load_config", "load_run_config", "parse_config"]
