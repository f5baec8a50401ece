"""Task gan: a generator and a discriminator from the layer registry, trained adversarially by
`fit` (`network.GAN.train_step`), sampled by `dlkit generate`, scored by a classifier run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlkit.core.errors import UsageError
from dlkit.core.registries import TASKS
from dlkit.engine.task import Report, Table, Task
from dlkit.tasks.gan.config import GanConfig


@TASKS.register()
class Gan(Task):
    """A generator and a discriminator trained adversarially on images; `dlkit generate` samples it."""

    title = "GAN"
    config = GanConfig
    generates = True
    #: The labels are not learned, but they keep each class's share in the held-out test images.
    stratify = True
    eval_options = {
        "classifier": "scores the samples of a GAN run",
        "samples": "sets how many samples of a GAN run are scored",
        "seed": "seeds the samples of a GAN run",
    }

    def labels(self, arrays) -> list[str]:
        """The loader's class names, for the record (run.json); a GAN ignores the labels."""
        return list(arrays.class_names or [])

    def make_session(self, resumed=None):
        from dlkit.tasks.gan.session import GanSession

        return GanSession(self.config, resumed)

    def dry_run_models(self, info) -> dict[str, Any]:
        """Both networks; the generator's input is the latent vector, its output an image as
        `data.preprocess` leaves the data."""
        from dlkit.tasks.gan.build import build_networks

        _, generator, discriminator = build_networks(self.config, info.shape, info.kind)
        return {"generator": generator, "discriminator": discriminator}

    def check_predict(self, run_dir: Path) -> None:
        raise UsageError(
            f"{run_dir}: a GAN run generates images (dlkit generate RUN); predict takes a run of another task"
        )

    def evaluate_run(self, run_dir: Path, split: str, options: dict[str, Any]) -> Report:
        """Score samples with a classification run on the same data (`--classifier`)."""
        if options.get("classifier") is None:
            raise UsageError(
                f"{run_dir} is a GAN run: score its samples with --classifier RUN2, a finished classification run "
                "on the same data (e.g. one of configs/quickstart.yaml for digits)"
            )
        from dlkit.core.runs import resolve_run
        from dlkit.tasks.gan.quality import COLLAPSED, score_samples

        metrics = score_samples(
            run_dir, self.config, resolve_run(options["classifier"]), options.get("samples") or 1000,
            options.get("seed") or 0,
        )  # fmt: skip
        shown = [str(metrics["samples"]), *(f"{metrics[k]:.4f}" for k in ("confidence", "diversity", "max_diversity"))]
        table = Table(f"{run_dir.name}: samples", ["samples", "confidence", "diversity", "max diversity"], [shown])
        warnings = []
        if metrics["diversity"] < COLLAPSED:
            warnings.append(
                f"diversity {metrics['diversity']:.3f} < {COLLAPSED}: the generator has collapsed onto "
                "a few classes (mode collapse); this run failed"
            )
        return Report(metrics, [table], warnings)

    def generate(self, run_dir: Path, n: int, seed: int, out: Path, npz: Path | None) -> dict:
        from dlkit.tasks.gan.generate import generate

        return generate(run_dir, self.config, n, seed, out, npz)
