"""Task gan end to end: a tiny generator and discriminator on the embedded digits for two epochs;
samples, `dlkit generate`, `dlkit eval --classifier`, resume, a NaN naming the GAN's own optimizers."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from conftest import ctrl_c_in_epoch, write_config
from dlkit.tasks.gan.pixels import grid_size
from helpers.gan import TINY_GAN, _config_error


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _history(run_dir: Path) -> list[dict]:
    with open(run_dir / "history.csv", newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def test_training_logs_finite_changing_losses(gan_run):
    rows = _history(gan_run)
    assert len(rows) == 2
    for name in ("d_loss", "g_loss", "d_real_acc", "d_fake_acc"):
        assert all(math.isfinite(row[name]) for row in rows)
    assert rows[0]["d_loss"] != rows[1]["d_loss"] and rows[0]["g_loss"] != rows[1]["g_loss"]
    metrics = json.loads((gan_run / "metrics.json").read_text())
    assert metrics["train"]["g_loss"] == rows[-1]["g_loss"]
    assert json.loads((gan_run / "run.json").read_text())["status"] == "completed"
    assert (gan_run / "plots" / "learning_curves.png").is_file()


def test_sample_grids_have_the_grid_size(gan_run):
    for epoch in (1, 2):
        with Image.open(gan_run / "samples" / f"epoch_{epoch:04d}.png") as image:
            assert image.size == grid_size(64, 8, 8) and image.mode == "L"


def test_the_networks_reload_in_safe_mode(gan_run):
    import dlkit.tasks.gan.network  # noqa: F401  (registers the GAN class)

    generator = keras.saving.load_model(gan_run / "generator.keras", safe_mode=True)
    assert generator.output_shape == (None, 8, 8, 1) and generator.input_shape == (None, 8)
    assert (gan_run / "model.keras").read_bytes() == (gan_run / "generator.keras").read_bytes()
    discriminator = keras.saving.load_model(gan_run / "discriminator.keras", safe_mode=True)
    assert discriminator.output_shape == (None, 1)
    gan = keras.saving.load_model(gan_run / "checkpoints" / "last.keras", safe_mode=True)
    assert int(gan.generator_optimizer.iterations) == int(gan.optimizer.iterations) > 0


def test_generate_is_deterministic_for_a_seed(gan_run, cli, tmp_path):
    def generate(name, seed):
        result = cli("generate", gan_run, "-n", 16, "--seed", seed, "--out", tmp_path / f"{name}.png",
                     "--npz", tmp_path / f"{name}.npz")  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == str(tmp_path / f"{name}.png")
        return (tmp_path / f"{name}.png").read_bytes(), np.load(tmp_path / f"{name}.npz")

    a, arrays_a = generate("a", 5)
    b, arrays_b = generate("b", 5)
    c, arrays_c = generate("c", 6)
    assert a == b and np.array_equal(arrays_a["samples"], arrays_b["samples"])
    assert a != c and not np.array_equal(arrays_a["samples"], arrays_c["samples"])
    assert arrays_a["samples"].shape == (16, 8, 8, 1) and arrays_a["images"].dtype == np.uint8
    assert -1 <= arrays_a["samples"].min() and arrays_a["samples"].max() <= 1  # tanh: the raw output
    expected = np.clip(np.round((arrays_a["samples"].astype("float64") + 1) * 255 / 2), 0, 255)
    assert np.array_equal(arrays_a["images"], expected.astype("uint8"))
    with Image.open(tmp_path / "a.png") as image:
        assert image.size == grid_size(16, 8, 8)


def test_eval_scores_samples_with_a_classifier(gan_run, trained_run, cli):
    classifier, _ = trained_run
    result = cli("eval", gan_run, "--classifier", classifier, "-n", 200)
    assert result.exit_code == 0, result.stderr
    metrics = json.loads((gan_run / "eval" / "metrics.json").read_text())
    assert 0 <= metrics["confidence"] <= 1
    assert 0 <= metrics["diversity"] <= metrics["max_diversity"] == pytest.approx(math.log(10))
    assert sum(metrics["class_histogram"].values()) == metrics["samples"] == 200
    assert (gan_run / "eval" / "samples.png").is_file()
    if metrics["diversity"] < 1.0:
        assert "mode collapse" in result.stderr


def test_eval_of_a_gan_needs_a_classifier(gan_run, trained_run, cli):
    result = cli("eval", gan_run)
    assert result.exit_code == 2 and "--classifier RUN2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("eval", trained_run[0], "--classifier", gan_run)
    assert result.exit_code == 2 and "not one" in result.stderr


def test_generate_refuses_a_classification_run(trained_run, cli, tmp_path):
    result = cli("generate", trained_run[0], "--out", tmp_path / "x.png")
    assert result.exit_code == 2 and "not a GAN run (task 'classification')" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_resumed_gan_run_continues_exactly(tmp_path, cli):
    """Three epochs straight, or two then one more with --resume: the same figures, bit for bit
    (both optimizers' state, the noise generator's state and the data order are restored)."""
    config = write_config(tmp_path, {**TINY_GAN, "train": {"epochs": 3, "sample_every": 5}})
    straight = _run_dir(cli("train", config, "--runs-dir", tmp_path / "a", "-q"))
    first = _run_dir(cli("train", config, "--runs-dir", tmp_path / "b", "-q", "--set", "train.epochs=2"))
    resumed = cli("train", "--resume", first, "--extend-epochs", 1, "-q")
    extended = _run_dir(resumed)  # the finished run stays as it was: a new folder beside it
    assert extended.parent == first.parent and extended != first and "resuming after epoch 2 of 3" in resumed.stderr
    assert _history(extended) == _history(straight)
    assert (extended / "samples" / "epoch_0003.png").is_file()


def test_a_gan_stopped_inside_an_epoch_resumes_exactly(tmp_path, cli):
    """Ctrl-C inside epoch 2, then --resume: the same history and metrics as two epochs straight
    (the rest of the epoch, its running means of both losses and accuracies)."""
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    config = write_config(tmp_path, {**TINY_GAN, "train": {"epochs": 2, "sample_every": 5}})
    straight = _run_dir(cli("train", config, "--runs-dir", tmp_path / "a", "-q"))
    with pytest.raises(Interrupted) as stopped:
        train(load_config(config), runs_dir=tmp_path / "b", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir and "continuing epoch 2 after batch 8" in resumed.stderr
    assert _history(run_dir) == _history(straight)
    assert (run_dir / "metrics.json").read_text() == (straight / "metrics.json").read_text()


def test_generator_must_make_images_of_the_data_shape(tmp_path, cli):
    data = json.loads(json.dumps(TINY_GAN))
    data["model"]["generator"]["layers"][-1] = {"type": "reshape", "target_shape": [4, 16, 1]}
    line = _config_error(tmp_path, cli, data)
    assert "model.generator.layers.4: the generator makes images of shape (4, 16, 1)" in line
    assert "(8, 8, 1) after data.preprocess" in line
    data = json.loads(json.dumps(TINY_GAN))
    data["model"]["discriminator"]["layers"][-1] = {"type": "dense", "units": 2}
    assert "model.discriminator.layers.3: the discriminator gives (2,) per image" in _config_error(tmp_path, cli, data)
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and not (tmp_path / "runs").exists()


def test_predict_refuses_a_gan_run(gan_run, cli, tmp_path):
    image = tmp_path / "x.png"
    Image.new("L", (8, 8)).save(image)
    result = cli("predict", image, "--run", gan_run)
    assert result.exit_code == 2 and "a GAN run generates images" in result.stderr


def test_a_gan_nan_names_its_own_optimizers(tmp_path, cli):
    config = {
        "name": "nan_gan",
        "seed": 3,
        "task": "gan",
        "data": {"dataset": "digits", "preprocess": [{"type": "rescale", "scale": float("nan")}], "batch_size": 64},
        "model": {
            "latent_dim": 8,
            "generator": {"layers": [{"type": "dense", "units": 64}, {"type": "reshape", "target_shape": [8, 8, 1]}]},
            "discriminator": {"layers": ["flatten", {"type": "dense", "units": 1}]},
        },
        "train": {"epochs": 1},
    }
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("dlkit: error: loss became NaN at epoch 1") and "Traceback" not in result.stderr
    assert "train.discriminator_optimizer.learning_rate" in line and "train.optimizer" not in line
