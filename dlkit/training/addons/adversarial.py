"""`train.adversarial`: each training batch partly replaced by attacks on it, made with the
model's current weights. Imports Keras: load it lazily."""

from __future__ import annotations

from dlkit.components.attacks import gradient_sign
from dlkit.components.input_space import input_space, refusal
from dlkit.core.backend import keras
from dlkit.core.errors import ConfigError
from dlkit.core.registries import ADDONS
from dlkit.engine.task import task_of
from dlkit.training.addons import Addon


@ADDONS.register("adversarial")
class Adversarial(Addon):
    """`train.adversarial`: a share of each training batch replaced by attacks on it."""

    section = ("train", "adversarial")

    def attach(self, session) -> None:
        train_on_attacks(session.model, self.config, session.prepared)


def train_on_attacks(model, config, data) -> None:
    """Make the compiled `model` train on `train.adversarial`'s mix of attacked and clean examples.

    Keras's `train_step` is replaced on this one model object (as distillation replaces
    `compute_loss`), so `model.keras` and the checkpoints stay the plain model. The random start
    of each batch's attack is drawn with stateless ops seeded by the config's seed and the
    optimizer's step count, which a checkpoint holds: a resumed run attacks as an uninterrupted
    one would."""
    spec = config.train.adversarial
    reason = refusal(data.kind, model, data.splits.train.x)
    if reason:
        raise ConfigError(f"train.adversarial: cannot attack {config.data.dataset}: {reason}")
    space = input_space(data.kind, model, data.splits.train.x)
    attack, loss, seed = spec.attack(), task_of(config).loss(), config.seed
    train_step, k = model.train_step, keras()

    def adversarial_train_step(batch):
        import tensorflow as tf

        x, y, sample_weight = k.utils.unpack_x_y_sample_weight(batch)
        attacked, fixed = space.split(x)
        count = tf.cast(tf.round(spec.ratio * tf.cast(tf.shape(y)[0], tf.float32)), tf.int32)
        first = {name: value[:count] for name, value in attacked.items()}
        sign = gradient_sign(model, loss, space, {n: v[:count] for n, v in fixed.items()}, y[:count], None)
        step_seed = tf.stack([tf.constant(seed, tf.int64), tf.cast(model.optimizer.iterations, tf.int64)])
        moved = attack.perturb(sign, first, space, tf.constant(spec.eps, tf.float32), step_seed)
        mixed = {name: tf.concat([tf.stop_gradient(moved[name]), value[count:]], 0) for name, value in attacked.items()}
        return train_step(k.utils.pack_x_y_sample_weight(space.join(mixed, fixed), y, sample_weight))

    model.train_step = adversarial_train_step
