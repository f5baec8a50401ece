"""The GAN as one Keras model, so `fit`, callbacks, progress bars and the checkpoint/resume
machinery work as for any model: `train_step` alternates a discriminator and a generator step.
Registered as a serializable, so `checkpoints/last.keras` (both networks, both optimizers' state)
loads in safe mode. Imports Keras: load it lazily."""

from __future__ import annotations

from dlkit.core.backend import keras

k = keras()


@k.saving.register_keras_serializable(package="dlkit")
class GAN(k.Model):
    """`generator`: latent vector -> image; `discriminator`: image -> one logit. Calling the GAN
    generates. Trained with the non-saturating losses of Goodfellow et al. (2014): the
    discriminator minimises the binary cross-entropy of real (label 1) and generated (label 0)
    images, the generator that of its images labelled real. Logs `d_loss` (real and fake terms
    summed), `g_loss`, and the share of real (`d_real_acc`) and generated (`d_fake_acc`) images
    the discriminator tells correctly."""

    def __init__(self, generator, discriminator, latent_dim: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, int(latent_dim)
        self.seed = seed
        # Its state is a variable of the model, so a resumed run draws the noise it would have.
        self.noise = k.random.SeedGenerator(seed)
        self.trackers = {name: k.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real_acc", "d_fake_acc")}
        self.built = True

    def call(self, latent, training=False):
        return self.generator(latent, training=training)

    def compile(self, discriminator_optimizer, generator_optimizer, **kwargs):
        """`self.optimizer` (the one `fit` knows) steps the discriminator; `generator_optimizer` the generator."""
        super().compile(optimizer=discriminator_optimizer, **kwargs)
        self.generator_optimizer = generator_optimizer
        self._gan_compile = {"generator_optimizer": generator_optimizer, **kwargs}

    def build_optimizers(self) -> None:
        """Create both optimizers' variables (before loading a checkpoint's state into them)."""
        self.optimizer.build(self.discriminator.trainable_variables)
        self.generator_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        import tensorflow as tf

        real = data[0] if isinstance(data, (tuple, list)) else data
        batch = tf.shape(real)[0]
        bce = k.losses.binary_crossentropy

        latent = k.random.normal((batch, self.latent_dim), seed=self.noise)
        fake = self.generator(latent, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = k.ops.mean(bce(k.ops.ones_like(real_logits), real_logits, from_logits=True)) + k.ops.mean(
                bce(k.ops.zeros_like(fake_logits), fake_logits, from_logits=True)
            )
        weights = self.discriminator.trainable_weights
        self.optimizer.apply(tape.gradient(d_loss, weights), weights)

        latent = k.random.normal((batch, self.latent_dim), seed=self.noise)
        with tf.GradientTape() as tape:
            logits = self.discriminator(self.generator(latent, training=True), training=True)
            g_loss = k.ops.mean(bce(k.ops.ones_like(logits), logits, from_logits=True))
        weights = self.generator.trainable_weights
        self.generator_optimizer.apply(tape.gradient(g_loss, weights), weights)

        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_loss"].update_state(g_loss)
        self.trackers["d_real_acc"].update_state(k.ops.cast(real_logits > 0, "float32"))
        self.trackers["d_fake_acc"].update_state(k.ops.cast(fake_logits < 0, "float32"))
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def get_config(self):
        serialize = k.saving.serialize_keras_object
        return {
            **super().get_config(),
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for side in ("generator", "discriminator"):
            config[side] = k.saving.deserialize_keras_object(config[side])
        return cls(**config)

    def get_compile_config(self):
        """Both optimizers (Keras's own would record only `self.optimizer`)."""
        if not self.compiled:
            return {}
        arguments = {"discriminator_optimizer": self.optimizer, **self._gan_compile}
        return {key: k.saving.serialize_keras_object(value) for key, value in arguments.items()}

    def compile_from_config(self, config):
        """`load_model(compile=True)`: both optimizers, built, so their saved state loads."""
        self.compile(**{key: k.saving.deserialize_keras_object(value) for key, value in config.items()})
        self.build_optimizers()
