"""Training a GAN: the same run folder, checkpoints, resume and Ctrl-C handling as any task
(`dlkit.training.trainer.Session`), with its own model, callbacks and finish. Imports Keras:
load it lazily."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlkit.config.experiment import ExperimentConfig
from dlkit.core import plots
from dlkit.core.backend import keras, seed_everything
from dlkit.core.runs import HISTORY, MODEL, atomic_write, write_json
from dlkit.core.timings import Timings
from dlkit.core.writing import inside
from dlkit.data.pipeline import decoded
from dlkit.data.splits import Split
from dlkit.engine.prepare import prepare_data
from dlkit.model.saved import save_model
from dlkit.tasks.gan.build import build_networks
from dlkit.tasks.gan.network import GAN
from dlkit.tasks.gan.pixels import grid_png, latent_batch, to_pixels
from dlkit.training.checkpoint import BEST, Checkpoint
from dlkit.training.trainer import Session, load_checkpoint

GENERATOR, DISCRIMINATOR = "generator.keras", "discriminator.keras"
#: Samples in each grid of `samples/` (from one fixed latent batch, so grids show progress).
GRID_SAMPLES = 64


class GanSession(Session):
    """The GAN trains on the training split's images as `data.preprocess` leaves them (computed
    once, up front); the labels are ignored. The run folder gains `generator.keras`,
    `discriminator.keras` and `samples/`; `model.keras` is the generator."""

    losses = ("d_loss", "g_loss")
    nan_advice = (
        "lower train.discriminator_optimizer.learning_rate and train.generator_optimizer.learning_rate, "
        "or add their clipnorm"
    )

    def __init__(self, config: ExperimentConfig, resumed: tuple[Path, dict] | None = None):
        self.timings = Timings()
        seed_everything(config.seed, config.train.deterministic)
        self.config, self.resumed = config, resumed
        self.data = data = prepare_data(config)
        self.timings.lap("data")
        pixels, generator, discriminator = build_networks(config, data.input_shape, data.kind)
        train = data.splits.train
        examples = train.x
        if data.about.decode is not None:  # streamed from disk (image_folder): decoded once, kept in memory
            examples = decoded(examples, data.about.decode)
        images = pixels.predict(np.asarray(examples), batch_size=512, verbose=0).astype("float32")
        self.train_split = Split(images, train.y)
        self.batches = dict(batch_size=config.data.batch_size, seed=config.seed)
        self.class_weight = None
        self.model = model = GAN(generator, discriminator, config.model.latent_dim, seed=config.seed, name=config.name)
        model.compile(
            discriminator_optimizer=config.train.discriminator_optimizer.build(),
            generator_optimizer=config.train.generator_optimizer.build(),
            steps_per_execution=config.train.steps_per_execution,
            jit_compile=config.train.jit_compile,
        )
        if resumed:
            model.build_optimizers()
            load_checkpoint(model, resumed[0])  # both networks and both optimizers' state
        self.timings.lap("build")

    def callbacks(self, run_dir: Path) -> list:
        return [SampleGrid(inside(run_dir, "samples", folder=True), self.config, self.data.input_shape)]

    def finish(self, run_dir: Path, checkpoint: Checkpoint) -> dict:
        """Split the best checkpoint into `generator.keras` (also `model.keras`) and
        `discriminator.keras`; `metrics.json` holds that epoch's training figures."""
        gan = keras().saving.load_model(run_dir / "checkpoints" / BEST, safe_mode=True, compile=False)
        save_model(gan.generator, inside(run_dir, GENERATOR))
        save_model(gan.discriminator, inside(run_dir, DISCRIMINATOR))
        atomic_write(inside(run_dir, MODEL), (run_dir / GENERATOR).read_bytes())
        row = next(r for r in checkpoint.rows if r["epoch"] == checkpoint.best_epoch)
        metrics = {"train": {k: v for k, v in row.items() if k != "epoch"}}
        write_json(inside(run_dir, "metrics.json"), metrics)
        self.timings.lap("evaluate")
        plots.learning_curves(run_dir / HISTORY, inside(run_dir, "plots", folder=True) / "learning_curves.png")
        self.timings.lap("plots")
        return metrics


class SampleGrid(keras().callbacks.Callback):
    """Every `train.sample_every` epochs and after the last, the generator's images of one fixed
    latent batch (seeded by the config's seed) as `samples/epoch_XXXX.png` (epochs counted from 1);
    also after the last epoch of a run stopped early."""

    def __init__(self, folder: Path, config: ExperimentConfig, raw_shape: tuple[int, ...]):
        super().__init__()
        self.folder, self.config, self.raw_shape = folder, config, raw_shape
        self.latent = latent_batch(GRID_SAMPLES, config.model.latent_dim, config.seed)
        self.finished = self.drawn = None

    def on_epoch_end(self, epoch, logs=None):
        self.finished = done = epoch + 1
        if done % self.config.train.sample_every == 0 or done == self.params.get("epochs"):
            self._draw(done)

    def on_train_end(self, logs=None):
        if self.finished is not None and self.finished != self.drawn:
            self._draw(self.finished)

    def _draw(self, done: int) -> None:
        self.drawn = done
        samples = np.asarray(self.model.generator(self.latent, training=False))
        images = to_pixels(samples, self.config.data.preprocess, self.raw_shape)
        atomic_write(self.folder / f"epoch_{done:04d}.png", grid_png(images))
