"""The config of task gan: a generator and a discriminator instead of `model.layers`, an
optimizer each instead of `train.optimizer`, no loss or metrics to choose (the GAN losses are its
own), no validation split, and preprocessing that `dlkit generate` can undo."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import PositiveInt, model_validator

from dlkit.config.experiment import ExperimentConfig
from dlkit.config.model import ModelConfig
from dlkit.config.train import CheckpointConfig, TrainConfig
from dlkit.core.registries import OPTIMIZERS
from dlkit.core.strict import Strict, raise_at

#: What a GAN logs per epoch (see `network.GAN`), and which way is better.
GAN_LOGS: dict[str, Literal["up", "down"]] = {
    "d_loss": "down",
    "g_loss": "down",
    "d_real_acc": "up",
    "d_fake_acc": "up",
}
#: Both optimizers' default: the DCGAN paper's Adam.
GAN_OPTIMIZER = {"type": "adam", "learning_rate": 0.0002, "beta_1": 0.5}


class GanModelConfig(Strict):
    """`model:` of task gan. Both networks come from the same layer registry as any model."""

    refused = {"layers": "not used by task gan; give model.generator and model.discriminator, each with layers:"}

    latent_dim: PositiveInt = 100
    """Length of the random normal vector the generator starts from (DCGAN's 100 by default)."""
    generator: ModelConfig
    """Latent vector -> an image of the data's shape after `data.preprocess` (tanh for [-1, 1] data)."""
    discriminator: ModelConfig
    """Image (as preprocessed) -> one logit: no sigmoid, the losses take logits."""

    @model_validator(mode="before")
    @classmethod
    def _both_networks(cls, value: Any) -> Any:
        if isinstance(value, dict) and "layers" not in value:
            for side, what in (("generator", "latent vector -> image"), ("discriminator", "image -> one logit")):
                if side not in value:
                    raise_at((side,), f"required for task gan ({what}): {{layers: [...]}}")
        return value

    @model_validator(mode="after")
    def _no_backbone(self) -> GanModelConfig:
        for side in ("generator", "discriminator"):
            if getattr(self, side).backbone is not None:
                raise_at((side, "backbone"), "not used by task gan (its networks are built from layers: only)")
            for i, layer in enumerate(getattr(self, side).layers):
                if layer.trains_members:
                    raise_at(
                        (side, "layers", i, "member_loss"),
                        "task gan trains with its own losses, not each ensemble member's; set member_loss: false",
                    )
        return self


class GanCheckpointConfig(CheckpointConfig):
    monitor: str | None = None
    """Default null (the last epoch): a GAN's losses say little about how good the samples are,
    and the last generator is the one the last sample grid shows."""


class GanTrainConfig(TrainConfig):
    """`train:` of task gan."""

    refused = {
        "optimizer": "not used by task gan: set train.generator_optimizer and train.discriminator_optimizer",
        "loss": "not used by task gan: the losses are the non-saturating GAN losses (binary cross-entropy on logits)",
        "lr_schedule": "not used by task gan: each optimizer takes a constant learning_rate",
        "class_weight": "not used by task gan: a GAN ignores the labels",
        "metrics": "not used by task gan: it logs d_loss, g_loss, d_real_acc, d_fake_acc",
        "distribute": "not supported for task gan: its two-optimizer training step runs on one device",
    }

    generator_optimizer: OPTIMIZERS.field = GAN_OPTIMIZER
    """Default: adam, learning rate 0.0002, beta_1 0.5 (the DCGAN paper's settings)."""
    discriminator_optimizer: OPTIMIZERS.field = GAN_OPTIMIZER
    """Default: as the generator's."""
    sample_every: PositiveInt = 10
    """Write a grid of samples from a fixed latent batch to `samples/epoch_XXXX.png` every this many
    epochs, and after the last one."""
    checkpoint: GanCheckpointConfig = GanCheckpointConfig()
    precision: Literal["float32"] = "float32"
    """Task gan trains in float32."""


class GanConfig(ExperimentConfig):
    """An experiment of task gan."""

    model: GanModelConfig
    train: GanTrainConfig = GanTrainConfig()

    def fill_defaults(self) -> None:
        """It trains on preprocessed images without validation, and `dlkit generate` maps samples back to pixels."""
        data = self.data
        for i, callback in enumerate(self.train.callbacks):
            if callback.type_name == "reduce_lr_on_plateau":
                raise_at(("train", "callbacks", i, "type"), "not supported for task gan (two optimizers)")
        if data.augment:
            raise_at(
                ("data", "augment"),
                "not supported for task gan (the discriminator sees real and generated images alike)",
            )
        for i, step in enumerate(data.preprocess):
            if step.fitted:
                raise_at(
                    ("data", "preprocess", i, "type"),
                    f"{step.type_name!r} is fitted on the data, which task gan does not support "
                    "(generated samples could not be mapped back to pixels); use rescale",
                    step.type_name,
                )
        if data.split.folds is not None:
            raise_at(("data", "split", "folds"), "task gan trains without validation: nothing to cross-validate", 2)
        if "validation" not in data.split.model_fields_set:
            data.split = data.split.model_copy(update={"validation": 0.0})
        elif data.split.validation != 0:
            raise_at(
                ("data", "split", "validation"), "task gan trains without validation; set 0", data.split.validation
            )

    def tensorflow_only(self) -> dict[str, str]:
        return {"task": "task gan's train step takes its gradients with tf.GradientTape", **super().tensorflow_only()}

    def logged(self) -> dict[str, Literal["up", "down"]]:
        return dict(GAN_LOGS)
