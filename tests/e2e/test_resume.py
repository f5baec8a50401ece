"""Resume: a run killed with SIGKILL goes on to the same result as one left alone; refusals;
Ctrl-C, NaN and mid-epoch checkpoints; stale runs shown as interrupted."""

import csv
import hashlib
import json
import os
import shutil
import signal
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

from conftest import TINY, as_interrupted, ctrl_c_in_epoch, signal_training, write_config
from dlkit.training import state as saved_state

#: Dropout (random masks), early stopping and reduce-lr (callback state): what exactness needs.
RESUMABLE = {
    **TINY,
    "name": "resumable",
    "model": {
        "layers": [
            {"type": "conv2d", "filters": 8, "kernel_size": 3, "activation": "relu"},
            {"type": "dropout", "rate": 0.3},
            "flatten",
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
    },
    "train": {
        **TINY["train"],
        "epochs": 4,
        "callbacks": [
            {"type": "early_stopping", "patience": 2},
            {"type": "reduce_lr_on_plateau", "patience": 1, "factor": 0.5},
        ],
    },
}


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_a_run_killed_mid_training_resumes_to_the_same_metrics(tmp_path, cli):
    config = write_config(tmp_path, RESUMABLE)
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))

    killed = tmp_path / "killed"
    run_dir, _ = signal_training(config, killed, lambda state: state["epochs_done"] >= 2, signal.SIGKILL)
    done = saved_state.read(run_dir / "checkpoints" / "last.keras")["epochs_done"]
    assert 2 <= done < 4, "the kill should land mid-run"
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    runs = cli("runs", killed)
    assert "interrupted" in runs.stdout  # the process is gone

    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir
    assert f"resuming after epoch {done} of 4" in resumed.stderr
    # Bitwise: same machine, same seed, deterministic ops.
    assert (run_dir / "metrics.json").read_text() == (alone / "metrics.json").read_text()
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "completed" and info["resumed"][0]["from_epoch"] == done


#: Epochs of 81 batches of 16, a checkpoint every 8 batches (which tells the test an epoch is under way).
MID_EPOCH = {
    **RESUMABLE,
    "data": {**RESUMABLE["data"], "batch_size": 16},
    "train": {**RESUMABLE["train"], "epochs": 3, "checkpoint_every": 8},
}


def _inside_epoch_2(state: dict) -> bool:
    return state["epochs_done"] == 1 and bool(state.get("step"))


@pytest.mark.parametrize("per_execution", [pytest.param(1, marks=pytest.mark.slow), 8])
def test_ctrl_c_mid_epoch_then_resume_ends_as_an_uninterrupted_run(tmp_path, cli, per_execution):
    """A real SIGINT to `dlkit train` inside epoch 2, then --resume: the same metrics.json and
    history.csv, bit for bit, as a run left alone (dropout, early stopping and reduce-lr included)."""
    data = {**MID_EPOCH, "train": {**MID_EPOCH["train"], "steps_per_execution": per_execution}}
    config = write_config(tmp_path, data)
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))

    run_dir, stderr = signal_training(config, tmp_path / "stopped", _inside_epoch_2, signal.SIGINT)
    assert "dlkit train --resume" in stderr
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and state["step"], "the Ctrl-C should land inside epoch 2"

    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()
    assert f"continuing epoch 2 after batch {state['step']}" in resumed.stderr


def test_resume_refuses_what_it_cannot_continue(tmp_path, cli, trained_run):
    run_dir, _ = trained_run
    missing = cli("train", "--resume", tmp_path / "nope")
    assert missing.exit_code == 2 and "no such run folder" in missing.stderr
    (tmp_path / "plain").mkdir()
    not_a_run = cli("train", "--resume", tmp_path / "plain")
    assert not_a_run.exit_code == 2 and "not a dlkit run folder" in not_a_run.stderr
    done = cli("train", "--resume", run_dir)
    assert done.exit_code == 2 and "already completed" in done.stderr and "--extend-epochs" in done.stderr
    both = cli("train", write_config(tmp_path, TINY), "--resume", run_dir)
    assert both.exit_code == 2


def _interrupted_copy(tmp_path, cli, data=RESUMABLE) -> Path:
    """A finished run made to look killed after its second epoch (its checkpoint rewound)."""
    run_dir = _run_dir(cli("train", write_config(tmp_path, {**data, "train": {**data["train"], "epochs": 2}}),
                           "--runs-dir", tmp_path / "runs", "-q"))  # fmt: skip
    return as_interrupted(run_dir)


def test_a_changed_config_or_dataset_needs_force(tmp_path, cli):
    run_dir = _interrupted_copy(tmp_path, cli)
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["data"]["batch_size"] = 32
    config["model"]["layers"][0]["filters"] = 4
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    refused = cli("train", "--resume", run_dir, "-q")
    assert refused.exit_code == 2
    assert "data.batch_size" in refused.stderr and "model.layers" in refused.stderr and "--force" in refused.stderr

    misfit = cli("train", "--resume", run_dir, "--force", "-q")
    assert misfit.exit_code == 2 and "does not fit the model" in misfit.stderr and "Traceback" not in misfit.stderr

    config["model"]["layers"][0]["filters"] = 8  # the weights must still fit
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    forced = cli("train", "--resume", run_dir, "--force", "-q")
    assert _run_dir(forced) == run_dir
    with open(run_dir / "history.csv", newline="") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3]  # each epoch exactly once


def test_a_changed_dataset_is_refused(tmp_path, cli):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (200, 8, 8), dtype="uint8"), np.arange(200) % 10
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y)
    data = {**RESUMABLE, "data": {**TINY["data"], "dataset": "npz", "options": {"path": str(tmp_path / "d.npz")}}}
    data["model"] = {"layers": [{"type": "reshape", "target_shape": [8, 8, 1]}, *RESUMABLE["model"]["layers"]]}
    run_dir = _interrupted_copy(tmp_path, cli, data)
    np.savez(tmp_path / "d.npz", x_train=x[::-1], y_train=y)
    refused = cli("train", "--resume", run_dir, "-q")
    assert refused.exit_code == 2 and "the dataset changed" in refused.stderr


def _hashes(folder: Path) -> dict:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _epochs(run_dir: Path) -> list[int]:
    with open(run_dir / "history.csv", newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_extend_epochs_leaves_a_finished_run_as_it_was_and_goes_on_in_a_new_folder(tmp_path, cli, trained_run):
    parent = tmp_path / "runs" / trained_run[0].name
    shutil.copytree(trained_run[0], parent)
    before = _hashes(parent)
    extended = cli("train", "--resume", parent, "--extend-epochs", "2", "-q")
    run_dir = _run_dir(extended)
    assert run_dir.parent == parent.parent and run_dir.name.startswith("tiny-") and run_dir != parent
    assert _hashes(parent) == before  # every file, byte for byte
    assert (tmp_path / "runs" / "latest").resolve() == run_dir.resolve()
    info = json.loads((run_dir / "run.json").read_text())
    assert info["status"] == "completed" and info["parent"] == {"run": str(parent), "epoch": 2}
    assert _epochs(run_dir) == [1, 2, 3, 4] and _epochs(parent) == [1, 2]
    assert (run_dir / "history.csv").read_text().startswith((parent / "history.csv").read_text())
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["train"]["epochs"] == 4
    assert (run_dir / "model.keras").is_file() and (run_dir / "metrics.json").is_file()
    assert f"stays as it was; the training goes on in {run_dir}" in extended.stderr


def test_extend_epochs_on_an_interrupted_run_goes_on_in_its_own_folder(tmp_path, cli):
    run_dir = _interrupted_copy(tmp_path, cli)  # 2 of 3 epochs done
    extended = cli("train", "--resume", run_dir, "--extend-epochs", "2", "-q")
    assert _run_dir(extended) == run_dir and "resuming after epoch 2 of 4" in extended.stderr
    assert _epochs(run_dir) == [1, 2, 3, 4]
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["train"]["epochs"] == 4
    assert [p for p in run_dir.parent.iterdir() if not p.is_symlink()] == [run_dir]


def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(tmp_path, cli):
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.resume import resume
    from dlkit.training.trainer import train

    # A learning-rate schedule (the rate logged is the epoch's first) and augmentation (its random state).
    data = {
        **RESUMABLE,
        "data": {**RESUMABLE["data"], "augment": [{"type": "random_zoom", "height_factor": 0.1}]},
        "train": {**RESUMABLE["train"], "epochs": 3, "lr_schedule": "cosine", "callbacks": ["early_stopping"]},
    }
    path = write_config(tmp_path, data)
    with pytest.raises(Interrupted) as stopped:
        train(load_config(path), runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    assert f"dlkit train --resume {run_dir}" in str(stopped.value)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and state["step"] == 8  # mid-epoch 2, after steps_per_execution batches
    assert _epochs(run_dir) == [1]  # the unfinished epoch is not in the history

    with pytest.raises(Interrupted):  # stopped again in the rest of the same epoch
        resume(run_dir, callbacks=[ctrl_c_in_epoch(1)])
    assert saved_state.read(run_dir / "checkpoints" / "last.keras")["step"] == 16  # counted from the epoch's start
    resumed = cli("train", "--resume", run_dir, "-q")
    assert _run_dir(resumed) == run_dir and "continuing epoch 2 after batch 16" in resumed.stderr
    assert _epochs(run_dir) == [1, 2, 3]
    alone = _run_dir(cli("train", path, "--runs-dir", tmp_path / "alone", "-q"))
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()


def test_an_epoch_stopped_inside_starts_again_when_the_config_changed_under_force(tmp_path, cli):
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    config = load_config(write_config(tmp_path, RESUMABLE))
    with pytest.raises(Interrupted) as stopped:
        train(config, runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    config["train"]["optimizer"]["learning_rate"] = 0.005
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    resumed = cli("train", "--resume", run_dir, "--force", "-q")
    assert _run_dir(resumed) == run_dir
    assert "restarting epoch 2 from its start (changed under --force)" in resumed.stderr
    assert _epochs(run_dir) == [1, 2, 3, 4]


def test_ctrl_c_in_an_epochs_last_batches_stops_at_its_end(tmp_path):
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    class LastBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch + 1 >= self.params["steps"] and not getattr(self, "pressed", False):
                self.pressed = True
                os.kill(os.getpid(), signal.SIGINT)

    path = write_config(tmp_path, {**RESUMABLE, "train": {**RESUMABLE["train"], "epochs": 3}})
    with pytest.raises(Interrupted) as stopped:
        train(load_config(path), runs_dir=tmp_path / "runs", callbacks=[LastBatches()])
    run_dir = stopped.value.run_dir
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and state["step"] is None  # the finished epoch, validated and saved
    assert _epochs(run_dir) == [1] and json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"


def test_checkpoint_every_saves_within_an_epoch(tmp_path):
    from dlkit.config import load_config
    from dlkit.training.trainer import train

    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            last = next((tmp_path / "runs").glob("*/checkpoints/last.keras"), None)
            if last is not None:
                seen.append(saved_state.read(last))

    data = {**RESUMABLE, "train": {**RESUMABLE["train"], "epochs": 1, "checkpoint_every": 8}}
    train(load_config(write_config(tmp_path, data)), runs_dir=tmp_path / "runs", callbacks=[Spy()])
    assert any(s["epochs_done"] == 0 and s["step"] == 8 for s in seen)


def test_nan_loss_stops_with_a_clear_message(tmp_path, cli):
    x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    x[5:] = np.nan  # almost every batch has a NaN
    np.savez(tmp_path / "nan.npz", x_train=x, y_train=np.arange(200) % 2)
    data = {
        "name": "nan",
        "task": "binary",
        "data": {"dataset": "npz", "options": {"path": str(tmp_path / "nan.npz"), "kind": "array"}, "batch_size": 16},
        "model": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 2},
    }
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1
    assert "loss became NaN at epoch 1, batch" in result.stderr and "clipnorm" in result.stderr
    assert "Traceback" not in result.stderr
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if not p.is_symlink())
    assert json.loads((run_dir / "run.json").read_text())["status"] == "failed"
    assert not (run_dir / "checkpoints" / "last.keras").exists()  # no NaN weights saved
