"""Ensembles whose members each learn from their own loss: a model ending in `ensemble_head` with
`member_loss` (TabM) or trained with `train.ensemble` (copies of the model, a deep ensemble) gives,
in a training call, every member's outputs (batch, k, units); this add-on makes the training loss
the mean over the members of the task's loss of each, and the training metrics those of the
members' mean. Validation, `model.keras` and everything after training see the mean alone.
Imports Keras: load it lazily."""

from __future__ import annotations

from dlkit.core.backend import keras
from dlkit.core.registries import ADDONS
from dlkit.training.addons import Addon


@ADDONS.register("ensemble")
class MemberLosses(Addon):
    """An ensemble (TabM's head, `train.ensemble`) that trains its members on their own losses."""

    @classmethod
    def applies(cls, config) -> bool:
        layers = getattr(config.model, "layers", None)
        copies = getattr(config.train, "ensemble", None) is not None
        return copies or (bool(layers) and layers[-1].trains_members)

    def attach(self, session) -> None:
        train_members(session.model)


def train_members(model) -> None:
    """Make the compiled `model` train each member on its own loss. As distillation does, Keras's
    `compute_loss` (and `compute_metrics`) are replaced on this one model object, so `model.keras`
    and the checkpoints stay the plain functional model.

    The members' outputs (batch, k, units) become batch x k rows and the labels, sample weights
    and inputs are repeated to match (row b·k + i is member i on example b, as TabM's training
    flattens them): the compiled loss's mean over those rows is the mean over the members of each
    member's loss, regularisers added once, and a loss that reads the inputs (distillation's)
    sees each member's row beside its own example."""
    ops, tree = keras().ops, keras().tree
    rank = len(model.output.shape)
    task_loss, task_metrics = model.compute_loss, model.compute_metrics

    def members_of(y_pred) -> int | None:
        """k where `y_pred` holds the members (a training call), else None."""
        return y_pred.shape[1] if len(y_pred.shape) == rank + 1 else None

    def compute_loss(x=None, y=None, y_pred=None, sample_weight=None, training=True):
        k = members_of(y_pred)
        if k is not None:

            def repeat(t):
                return None if t is None else ops.repeat(t, k, axis=0)

            x, y, sample_weight = (tree.map_structure(repeat, part) for part in (x, y, sample_weight))
            y_pred = ops.reshape(y_pred, (-1, *y_pred.shape[2:]))
        return task_loss(x, y, y_pred, sample_weight, training=training)

    def compute_metrics(x, y, y_pred, sample_weight=None):
        if members_of(y_pred) is not None:
            y_pred = ops.mean(y_pred, axis=1)
        return task_metrics(x, y, y_pred, sample_weight=sample_weight)

    model.compute_loss, model.compute_metrics = compute_loss, compute_metrics
