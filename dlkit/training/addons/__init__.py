"""Training add-ons: what a run does beyond fitting the model, each one file of this package that
the trainer never names (Lightning's `callbacks/pruning.py` shape). An add-on registers in `ADDONS`,
says from the config alone whether it applies (its own section: `train.distill`, `train.prune`,
`train.adversarial`, `eval.calibrate`, `train.ensemble`, or a model ending in an ensemble head
trained member by member), and is driven by the hooks of `Addon`, which the trainer
calls for every add-on that applies. A config without those sections (a GAN's has none) has none.
This package's `__init__` loads no TensorFlow; each add-on loads it when it first works.

Not add-ons, and why: `train.phases` and `train.distribute` decide how the trainer compiles the
model and cuts the fit, before any hook could run (`training/phases.py`, `training/distributed/`);
`train.track` wraps the whole run, its failures included, for every task, a GAN's too
(`training/track.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dlkit.core.registries import ADDONS

if TYPE_CHECKING:
    from dlkit.config import ExperimentConfig
    from dlkit.data.prepared import PreparedData


class Addon:
    """One add-on of one run: made by `addons_for` from the config, then told each moment of the
    training in turn. Every hook does nothing by default."""

    #: The config section that switches it on (`train.distill`): present and not empty.
    section: ClassVar[tuple[str, str]]

    def __init__(self, config: ExperimentConfig):
        self.config = config

    @classmethod
    def applies(cls, config: ExperimentConfig) -> bool:
        """Whether `config` switches this add-on on (a config of a task whose sections lack its
        own key does not)."""
        part, key = cls.section
        return bool(getattr(getattr(config, part, None), key, None))

    def attach(self, session) -> None:
        """The session's model is built and compiled, and a resumed run's checkpoint not yet
        loaded into it: change the model object (what is set on it outlasts recompiling) or make
        the callbacks. `session` has `config`, `model`, `prepared` (the data as prepared),
        `steps_per_epoch` and `steps_done` (the steps a resumed run has behind it)."""

    def callbacks(self) -> list:
        """Keras callbacks to run in the fit, before the configured ones; the checkpoints save
        and restore their state."""
        return []

    def best_from(self) -> int:
        """The first epoch (from 0) whose model may be the run's best (`model.keras`)."""
        return 0

    def before_scoring(self, run_dir: Path, data: PreparedData) -> None:
        """The best checkpoint is `model.keras`, not yet scored: change it (calibrate it)."""

    def report(self, model) -> dict[str, Any]:
        """Entries of its own for `metrics.json`, from the finished `model.keras`."""
        return {}


def addons_for(config: ExperimentConfig) -> tuple[Addon, ...]:
    """The add-ons `config` switches on, one of each, in the order of their names."""
    kinds = [ADDONS.get(name) for name in ADDONS.names()]
    return tuple(kind(config) for kind in kinds if kind.applies(config))
