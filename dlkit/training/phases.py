"""`train.phases`: training in stages. Each phase has its epochs, the backbone layers that train
in it (the earlier phases' and its own `unfreeze:`) and a fresh optimizer at its learning rate.
Which phase an epoch is in follows from the config alone, so a resumed run is in the phase (and
has the trainable layers and optimizer) of the epoch it resumes at. Imports Keras: load it lazily."""

from __future__ import annotations

import itertools

from dlkit.core.errors import ConfigError
from dlkit.model import backbone


def phases_of(config, model) -> Phases | None:
    """`train.phases` for `model`; None: trained in one go (a task whose `train:` has no such key too)."""
    return Phases(config, model) if getattr(config.train, "phases", None) else None


class Phases:
    """The phases of `config.train.phases` for `model` (its layer `backbone`, if any)."""

    def __init__(self, config, model):
        self.specs = config.train.phases
        self.ends = list(itertools.accumulate(phase.epochs for phase in self.specs))
        names = {layer.name for layer in model.layers}
        self.net = model.get_layer(backbone.NAME) if backbone.NAME in names else None
        freeze = config.model.backbone.freeze if self.net is not None else False
        first = None if self.net is None else backbone.first_trainable(self.net, freeze, "model.backbone.freeze")
        #: Per phase, the index of the backbone's first layer that trains (checked up front, so a
        #: wrong layer name in a later phase is refused before the run starts).
        self.first: list[int | None] = []
        for i, phase in enumerate(self.specs):
            if phase.unfreeze is not None:
                if self.net is None:
                    raise ConfigError(f"train.phases.{i}.unfreeze: there is no model.backbone to unfreeze")
                first = backbone.first_trainable(self.net, phase.unfreeze, f"train.phases.{i}.unfreeze", first)
            self.first.append(first)

    def at(self, epoch: int) -> int:
        """The phase epoch `epoch` (0-based) is in; epochs past the last phase's (--extend-epochs)
        are the last phase's."""
        return next((i for i, end in enumerate(self.ends) if epoch < end), len(self.specs) - 1)

    def enter(self, index: int, optimizer):
        """Make phase `index`'s backbone layers trainable; its optimizer config (the configured
        one at the phase's learning rate) and epoch count."""
        if self.net is not None:
            backbone.set_trainable(self.net, self.first[index])
        phase = self.specs[index]
        if phase.learning_rate is not None:
            optimizer = optimizer.model_copy(update={"learning_rate": phase.learning_rate})
        return optimizer, phase.epochs

    def spans(self, start: int, total: int):
        """(phase, first epoch, last epoch) of each phase from epoch `start` to `total`."""
        begin = 0
        for index, end in enumerate(self.ends):
            end = total if index == len(self.ends) - 1 else end
            if end > start:
                yield index, max(begin, start), end
            begin = end
