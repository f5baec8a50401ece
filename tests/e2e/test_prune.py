"""`train.prune`: the schedule, a pruned run's sparsity, sizes and plain model.keras, weights that
stay pruned, resume, and the config mistakes refused before a run folder exists."""

import csv
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import ctrl_c_in_epoch, write_config
from helpers.prune import PRUNED, _with


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _zeros(model) -> dict[str, int]:
    return {
        layer.name: int(np.sum(keras.ops.convert_to_numpy(layer.kernel) == 0))
        for layer in model.layers
        if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D))
    }


def test_a_pruned_run_reaches_its_target_and_saves_plain_layers(tmp_path, cli):
    trained = cli("train", write_config(tmp_path, PRUNED), "--runs-dir", tmp_path / "runs", "-q")
    run_dir = _run_dir(trained)
    assert "gzip of the weights" in trained.stdout  # the pruning table, after the figures
    metrics = json.loads((run_dir / "metrics.json").read_text())
    sparsity, size = metrics["sparsity"], metrics["size"]
    assert sparsity["target"] == 0.8 and abs(sparsity["overall"] - 0.8) < 0.01
    # One conv2d and two dense kernels (Keras numbers the names per process: conv2d_3 after other tests).
    assert sorted(name.rstrip("_0123456789") for name in sparsity["layers"]) == ["conv2d", "dense", "dense"]
    assert all(abs(s - 0.8) < 0.01 for s in sparsity["layers"].values())
    # The schedule, epoch by epoch: dense for one, about 0.8 * (1 - 0.5^3) = 0.7 halfway (its last
    # pruning step of epoch 2 is one step before halfway), the target from epoch 3 on.
    with open(run_dir / "history.csv", newline="") as f:
        logged = [float(row["sparsity"]) for row in csv.DictReader(f)]
    assert logged[0] == 0 and 0.68 < logged[1] < 0.7 and logged[2:] == pytest.approx([0.8, 0.8], abs=0.001)
    assert size["gzip_bytes"] < 0.5 * size["dense_gzip_bytes"] < size["float32_bytes"]
    # model.keras is from an epoch at the target (best of epochs 3-4), plain Keras layers with zeros.
    assert json.loads((run_dir / "run.json").read_text())["best_epoch"] >= 3
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert [type(layer).__name__ for layer in kernels] == ["Conv2D", "Dense", "Dense"]
    assert all(layer.get_config()["kernel_constraint"] is None for layer in kernels)
    sizes = {layer.name: int(np.prod(layer.kernel.shape)) for layer in kernels}
    assert {name: round(n / sizes[name], 6) for name, n in _zeros(model).items()} == sparsity["layers"]
    assert all(np.count_nonzero(keras.ops.convert_to_numpy(layer.bias) == 0) < 5 for layer in kernels[1:])

    evaluated = cli("eval", run_dir)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "overall" in evaluated.stdout and "0.8000 (target 0.8)" in evaluated.stdout
    shown = json.loads((run_dir / "eval" / "metrics.json").read_text())
    assert shown["sparsity"] == sparsity and shown["size"] == size
    assert shown["test"] == metrics["test"]

    from PIL import Image
    from sklearn.datasets import load_digits

    Image.fromarray((load_digits().images[0] * 255 / 16).astype("uint8"), "L").save(tmp_path / "zero.png")
    predicted = cli("predict", tmp_path / "zero.png", "--run", run_dir, "--json")
    assert predicted.exit_code == 0 and len(json.loads(predicted.stdout)["predictions"]) == 1


def test_pruned_weights_stay_zero_after_every_step(tmp_path):
    """Pruned once, at the end of epoch 1; every later step (one per call) must keep those zeros."""
    from dlkit.config import load_config
    from dlkit.training.trainer import train

    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(list(_zeros(self.model).values()))  # conv2d, dense, dense

    data = _with(start_epoch=0, end_epoch=1, frequency=1000)
    data["train"] = {**data["train"], "epochs": 2, "steps_per_execution": 1}
    train(load_config(write_config(tmp_path, data)), runs_dir=tmp_path / "runs", callbacks=[Watch()])
    steps = len(seen) // 2
    assert len(seen) == 2 * steps and all(n == [0, 0, 0] for n in seen[: steps - 1])
    pruned = seen[steps - 1]
    assert pruned[1] == round(0.8 * 576 * 32) and all(n == pruned for n in seen[steps:])


def test_a_run_stopped_while_pruning_resumes_to_the_same_result(tmp_path, cli):
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    config = write_config(tmp_path, PRUNED)
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))
    with pytest.raises(Interrupted) as stopped:  # inside epoch 3, a third of the weights pruned
        train(load_config(config), runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(2)])
    run_dir = stopped.value.run_dir
    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir and "continuing epoch 3 after batch 8" in resumed.stderr
    # Bitwise (same seed, deterministic ops); layer names only differ by Keras's in-process name counters.
    got, expected = (json.loads((d / "metrics.json").read_text()) for d in (run_dir, alone))
    assert list(got["sparsity"].pop("layers").values()) == list(expected["sparsity"].pop("layers").values())
    assert got == expected
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()

    # Trained further: no more pruning steps, the zeros kept by their masks, the dense size carried over.
    extended = _run_dir(cli("train", "--resume", run_dir, "--extend-epochs", "1", "-q"))
    before = json.loads((run_dir / "metrics.json").read_text())
    further = json.loads((extended / "metrics.json").read_text())
    assert list(further["sparsity"]["layers"].values()) == list(before["sparsity"]["layers"].values())
    assert further["sparsity"]["overall"] == before["sparsity"]["overall"] and further["test"] != before["test"]
    assert further["size"]["dense_gzip_bytes"] == before["size"]["dense_gzip_bytes"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"target_sparsity": 1.0}, "train.prune.target_sparsity: Input should be less than 1"),
        ({"target_sparsity": -0.1}, "train.prune.target_sparsity: Input should be greater than or equal to 0"),
        ({"start_epoch": 3}, "train.prune.start_epoch: must be before end_epoch (3)"),
        ({"end_epoch": 5}, "train.prune.end_epoch: 5 is past train.epochs (4)"),
        ({"layers": ["dence"]}, "train.prune.layers.0: unknown layer 'dence'; did you mean 'dense'?"),
        ({"layers": ["dense", "lstm"]}, "train.prune.layers.1: the model has no lstm layer to prune"),
        ({"layers": ["flatten"]}, "train.prune.layers.0: flatten layers have no kernel to prune"),
        ({"frequency": 0}, "train.prune.frequency: Input should be greater than 0"),
    ],
)
def test_prune_mistakes_are_one_line_and_make_no_run_folder(tmp_path, cli, change, expected):
    result = cli("train", write_config(tmp_path, _with(**change)), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
