"""Adversarial attacks on a model's raw inputs (through the preprocessing layers inside it):
`dlkit attack` measures accuracy under them, `train.adversarial` trains on them. Each method is
an entry of the `ATTACKS` root, so a new attack is a new entry; `attacker` makes the compiled
attack both use. Importing this loads no TensorFlow: the methods import it when they run."""

from __future__ import annotations

from pydantic import PositiveFloat, PositiveInt

from dlkit.components.input_space import InputSpace
from dlkit.core.registries import ATTACKS
from dlkit.core.registry import Spec


class Attack(Spec):
    """An attack's arguments; `perturb` moves the examples within eps of where they were.

    `perturb` runs in TensorFlow (in a `tf.function`): `x` is a dict of the float inputs to attack,
    `sign(x)` the sign of the loss gradient at `x` (same keys), `space` the inputs' `InputSpace`
    (per-feature scale, observed range, which cells may move), `eps` a fraction of each feature's
    scale and `seed` a stateless random seed (shape [2]) for a random start."""

    def perturb(self, sign, x: dict, space, eps, seed) -> dict:
        raise NotImplementedError

    def described(self) -> dict:
        """What attack.json records of the method's arguments."""
        return self.args()

    def header(self) -> str:
        """The arguments as the report's title gives them (`steps 20, step_size 0.125 x eps`)."""
        units = self.units()
        return ", ".join(f"{k} {_shown(v)}{units.get(k, '')}" for k, v in self.described().items())

    def units(self) -> dict[str, str]:
        """What an argument's number is a multiple of, where that is not plain (` x eps`)."""
        return {}


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@ATTACKS.register()
class Fgsm(Attack):
    """Fast gradient sign method (Goodfellow et al. 2015): one step of eps along the loss gradient's sign."""

    def perturb(self, sign, x, space, eps, seed):
        direction = sign(x)
        return space.project(x, {name: x[name] + eps * space.scale[name] * direction[name] for name in x}, eps)


@ATTACKS.register()
class Pgd(Attack):
    """Projected gradient descent (Madry et al. 2018): sign steps from a random start, kept within eps."""

    steps: PositiveInt = 20
    step_size: PositiveFloat | None = None
    """Each step's size as a fraction of eps; default 2.5 / steps (Madry et al.), so the steps
    could cross the eps-ball and back."""
    random_start: bool = True
    """Start from a point drawn uniformly within eps of the example, not the example itself."""

    @property
    def step_fraction(self) -> float:
        return self.step_size if self.step_size is not None else 2.5 / self.steps

    def described(self) -> dict:
        return {**self.args(), "step_size": self.step_fraction}

    def units(self) -> dict[str, str]:
        return {"step_size": " x eps"}

    def perturb(self, sign, x, space, eps, seed):
        import tensorflow as tf

        start = x
        if self.random_start:
            noise = {
                name: tf.random.stateless_uniform(
                    tf.shape(x[name]), tf.random.experimental.stateless_fold_in(seed, i), minval=-1.0, maxval=1.0
                )
                for i, name in enumerate(sorted(x))
            }
            start = space.project(x, {name: x[name] + eps * space.scale[name] * noise[name] for name in x}, eps)
        step = eps * self.step_fraction
        adversarial = start
        for _ in range(self.steps):
            direction = sign(adversarial)
            moved = {name: adversarial[name] + step * space.scale[name] * direction[name] for name in x}
            adversarial = space.project(x, moved, eps)
        return adversarial


def gradient_sign(model, loss, space: InputSpace, fixed: dict, y, one_hot: int | None):
    """`x -> sign of d loss(y, model(x)) / dx` for the attacked inputs `x` (a dict), the model in
    inference mode; a NaN gradient (from a blank cell) counts as 0, as ART does."""
    import tensorflow as tf

    labels = tf.one_hot(tf.cast(y, tf.int32), one_hot) if one_hot else y

    def sign(x: dict) -> dict:
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = loss(labels, model(space.join(x, fixed), training=False))
        gradients = tape.gradient(value, x)
        return {name: tf.sign(tf.where(tf.math.is_nan(g), tf.zeros_like(g), g)) for name, g in gradients.items()}

    return sign


def attacker(model, spec: Attack, loss, space: InputSpace, one_hot: int | None):
    """A compiled `(x, y, eps, seed) -> adversarial x` for batches as the model takes them."""
    import tensorflow as tf

    def attack(x, y, eps, seed):
        attacked, fixed = space.split(x)
        sign = gradient_sign(model, loss, space, fixed, y, one_hot)
        return space.join(spec.perturb(sign, attacked, space, eps, seed), fixed)

    return tf.function(attack, reduce_retracing=True)


__all__ = ["ATTACKS", "Attack", "attacker", "gradient_sign"]
