"""`model.backbone` (a run's model, a keras.applications network), `freeze`, `train.phases`: what
trains, what the dry run counts, what a run folder holds, resume inside phase 2, and the one-line
refusals of bad input."""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml

from conftest import TINY, ctrl_c_in_epoch, write_config
from dlkit.training import state as saved_state

CONV_PARAMS = 8 * 9 + 8  # TINY's conv2d: 8 filters of 3x3x1, and biases


def _transfer(source: Path, **backbone) -> dict:
    """TINY's data under a new head on the conv2d of `source` (a TINY run), phases optional."""
    return {
        **TINY,
        "name": "transfer",
        "model": {
            "backbone": {"run": str(source), **backbone},
            "layers": [{"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 10, "activation": "softmax"}],
        },
        "data": {**TINY["data"], "preprocess": []},  # the source run's rescale is kept in its backbone
    }


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _dry_run(cli, config: Path) -> dict:
    result = cli("validate", config, "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _named(trained_run, kind: str) -> str:
    """The source run's layer of class `kind` by name (Keras numbers names per process: `conv2d_2`
    when other models were built before it in the same test session)."""
    source = keras.saving.load_model(trained_run[0] / "model.keras", safe_mode=True)
    return next(layer.name for layer in source.layers if type(layer).__name__ == kind)


def _source_conv(trained_run) -> list:
    source = keras.saving.load_model(trained_run[0] / "model.keras", safe_mode=True)
    return source.get_layer(_named(trained_run, "Conv2D")).get_weights()


@pytest.mark.parametrize("keep_preprocess", [True, False])
def test_a_frozen_run_backbone_trains_the_head_only_and_the_run_stands_alone(
    tmp_path, cli, trained_run, keep_preprocess
):
    latest = trained_run[0].parent / "latest"  # named through the runs folder's `latest` link
    data = _transfer(latest if keep_preprocess else trained_run[0], keep_preprocess=keep_preprocess)
    if not keep_preprocess:  # then this config's steps are the ones applied
        data["data"]["preprocess"] = TINY["data"]["preprocess"]
    run_dir = _run_dir(cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q"))

    recorded = yaml.safe_load((run_dir / "config.yaml").read_text())["model"]["backbone"]["run"]
    assert Path(recorded).resolve() == trained_run[0].resolve() and Path(recorded).name != "latest"
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    backbone = model.get_layer("backbone")
    inside = [type(layer).__name__ for layer in backbone.layers]
    assert ("Rescaling" in inside) == keep_preprocess
    assert "Rescaling" in [type(layer).__name__ for layer in model.layers] or keep_preprocess
    assert "Dense" not in inside  # the source's head is dropped (until: defaults to its input)
    for got, was in zip(
        backbone.get_layer(_named(trained_run, "Conv2D")).get_weights(), _source_conv(trained_run), strict=True
    ):
        np.testing.assert_array_equal(got, was)  # frozen: not one step changed it
    assert cli("eval", run_dir).exit_code == 0  # the run folder alone evaluates
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"] > 0.5


@pytest.mark.parametrize(
    "freeze, trainable_in_backbone",
    [(True, 0), (False, CONV_PARAMS), ({"until": "Conv2D"}, 0), ({"last_n": 1}, 0), ({"last_n": 3}, CONV_PARAMS)],
)
def test_the_dry_run_counts_trainable_and_frozen_parameters(tmp_path, cli, trained_run, freeze, trainable_in_backbone):
    if isinstance(freeze, dict) and "until" in freeze:
        freeze = {"until": _named(trained_run, freeze["until"])}
    config = write_config(tmp_path, _transfer(trained_run[0], freeze=freeze))
    head = 10 * 8 * 6 * 6 + 10  # dense(10) on the flattened 6x6x8 conv output
    summary = _dry_run(cli, config)
    assert summary["params"] == CONV_PARAMS + head
    assert summary["trainable_params"] == head + trainable_in_backbone
    assert summary["frozen_params"] == CONV_PARAMS - trainable_in_backbone
    text = cli("validate", config, "--dry-run").stdout
    frozen = CONV_PARAMS - trainable_in_backbone
    assert f"trainable {head + trainable_in_backbone:,}" in text and (f"frozen {frozen}" in text) == bool(frozen)


def test_phases_unfreeze_recompile_and_a_run_stopped_in_phase_2_resumes_in_phase_2(tmp_path, cli, trained_run):
    """Phase 1 trains the head at 0.01, phase 2 all of it at 0.001; Ctrl-C inside epoch 3 (phase 2),
    then --resume: phase 2's trainable layers and rate, and the history of a run left alone."""
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.resume import resume
    from dlkit.training.trainer import train

    data = _transfer(trained_run[0])
    data["train"] = {
        "optimizer": TINY["train"]["optimizer"],
        "phases": [{"epochs": 2}, {"epochs": 2, "unfreeze": True, "learning_rate": 0.001}],
    }
    config = write_config(tmp_path, data)
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))
    rows = (alone / "history.csv").read_text().splitlines()
    header = rows[0].split(",")
    rates = [float(row.split(",")[header.index("learning_rate")]) for row in rows[1:]]
    assert [int(row.split(",")[0]) for row in rows[1:]] == [1, 2, 3, 4]  # one continuous history, epochs from 1
    assert rates == pytest.approx([0.01, 0.01, 0.001, 0.001])
    conv_name = _named(trained_run, "Conv2D")
    conv = keras.saving.load_model(alone / "model.keras").get_layer("backbone").get_layer(conv_name).get_weights()
    assert not np.array_equal(conv[0], _source_conv(trained_run)[0])  # phase 2 trained the backbone

    with pytest.raises(Interrupted) as stopped:
        train(load_config(config), runs_dir=tmp_path / "stopped", callbacks=[ctrl_c_in_epoch(2)])
    run_dir = stopped.value.run_dir
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 2 and state["step"], "the Ctrl-C should land inside epoch 3"

    seen = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append((epoch, self.model.get_layer("backbone").get_layer(conv_name).trainable))
            seen.append(float(self.model.optimizer.learning_rate))

    assert resume(run_dir, callbacks=[Watch()]) == run_dir
    assert seen == [(2, True), pytest.approx(0.001), (3, True), pytest.approx(0.001)]
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone / "metrics.json").read_text())


def test_a_run_killed_between_phases_resumes_into_phase_2(tmp_path, cli, trained_run):
    """Ctrl-C in phase 1's last epoch stops at its end: the checkpoint holds phase 1's optimizer,
    and the resumed run goes on in phase 2 as one left alone would."""
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    data = _transfer(trained_run[0])
    data["train"] = {
        "optimizer": TINY["train"]["optimizer"],
        "steps_per_execution": 64,  # one batch callback per epoch: the Ctrl-C lands in its last batches
        "phases": [{"epochs": 1}, {"epochs": 1, "unfreeze": {"last_n": 3}, "learning_rate": 0.001}],
    }
    config = write_config(tmp_path, data)
    alone = _run_dir(cli("train", config, "--runs-dir", tmp_path / "alone", "-q"))
    with pytest.raises(Interrupted) as stopped:
        train(load_config(config), runs_dir=tmp_path / "stopped", callbacks=[ctrl_c_in_epoch(0)])
    run_dir = stopped.value.run_dir
    state = saved_state.read(run_dir / "checkpoints" / "last.keras")
    assert state["epochs_done"] == 1 and not state.get("step")
    assert _run_dir(cli("train", "--resume", run_dir, "-q")) == run_dir
    assert (run_dir / "history.csv").read_text() == (alone / "history.csv").read_text()


def _mobilenet_data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    images = rng.integers(0, 256, (24, 32, 32, 3), dtype="uint8")
    np.savez(path, x_train=images[:16], y_train=np.arange(16) % 3, x_test=images[16:], y_test=np.arange(8) % 3)
    return path


def _application(tmp_path: Path, **backbone) -> dict:
    return {
        "name": "app",
        "task": "classification",
        "data": {
            "dataset": "npz",
            "options": {"path": str(_mobilenet_data(tmp_path))},
            "split": {"validation": 0.25},
            "batch_size": 8,
        },
        "model": {
            "backbone": {"application": "MobileNetV3Small", **backbone},
            "layers": ["global_average_pooling2d", {"type": "dense", "units": 3, "activation": "softmax"}],
        },
        "train": {"epochs": 1},
    }


@pytest.mark.slow  # about 20 s: MobileNetV3Small trains an epoch
def test_an_application_backbone_loads_its_weights_from_a_local_file(tmp_path, cli):
    """Offline: a random-initialised MobileNetV3Small saved by the test, loaded by path, kept frozen
    through training into model.keras (which loads in safe mode without dlkit)."""
    made = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3))
    made.save_weights(tmp_path / "mobilenet.weights.h5")
    config = write_config(tmp_path, _application(tmp_path, weights=str(tmp_path / "mobilenet.weights.h5")))
    assert _dry_run(cli, config)["frozen_params"] == sum(int(np.prod(w.shape)) for w in made.trainable_weights)

    run_dir = _run_dir(cli("train", config, "--runs-dir", tmp_path / "runs", "-q"))
    loaded = keras.saving.load_model(run_dir / "model.keras", safe_mode=True).get_layer("backbone")
    weights = loaded.get_weights()
    assert len(weights) == len(made.get_weights())
    for got, was in zip(weights, made.get_weights(), strict=True):
        np.testing.assert_array_equal(got, was)  # frozen and in inference mode: batch norm statistics too


def _one_line_refusal(cli, tmp_path, data: dict, *needles: str) -> None:
    config = write_config(tmp_path, data, "bad.yaml")
    result = cli("train", config, "--runs-dir", tmp_path / "bad-runs", "-q")
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and len(lines[0]) < 320, result.stderr
    for needle in needles:
        assert needle in lines[0]
    assert not (tmp_path / "bad-runs").exists() or not any((tmp_path / "bad-runs").iterdir())


def test_bad_run_backbones_are_one_line_refusals_without_a_run_folder(tmp_path, cli, trained_run):
    source = trained_run[0]
    _one_line_refusal(cli, tmp_path, _transfer(tmp_path / "nowhere"), "model.backbone.run", "not a dlkit run folder")
    unfinished = tmp_path / "unfinished"
    shutil.copytree(source, unfinished)
    info = json.loads((unfinished / "run.json").read_text())
    (unfinished / "run.json").write_text(json.dumps({**info, "status": "failed"}))
    _one_line_refusal(cli, tmp_path, _transfer(unfinished), "not a completed run (status: failed)")
    conv, flatten = _named(trained_run, "Conv2D"), _named(trained_run, "Flatten")
    typo = _transfer(source, until=conv[:-1])
    _one_line_refusal(cli, tmp_path, typo, "model.backbone.until", f"did you mean {conv!r}?")
    _one_line_refusal(
        cli, tmp_path, _transfer(source, freeze={"until": flatten[1:]}), "model.backbone.freeze.until", repr(flatten)
    )
    phased = _transfer(source)
    phased["train"] = {"phases": [{"epochs": 1}, {"epochs": 1, "unfreeze": {"until": "conv"}}]}
    _one_line_refusal(cli, tmp_path, phased, "train.phases.1.unfreeze.until", repr(conv))
    plain = {**TINY, "train": {"phases": [{"epochs": 1, "unfreeze": True}]}}
    _one_line_refusal(cli, tmp_path, plain, "train.phases.0.unfreeze", "no model.backbone")
    both = _transfer(source, application="MobileNetV3Small")
    _one_line_refusal(cli, tmp_path, both, "model.backbone", "one of them")


def test_bad_application_backbones_are_one_line_refusals_without_a_run_folder(tmp_path, cli):
    _one_line_refusal(
        cli, tmp_path, _application(tmp_path, weights=str(tmp_path / "missing.h5")), "model.backbone.weights", "no such"
    )
    other = keras.applications.MobileNet(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.25)
    other.save_weights(tmp_path / "mobilenet_v1.weights.h5")
    wrong = _application(tmp_path, weights=str(tmp_path / "mobilenet_v1.weights.h5"))
    _one_line_refusal(cli, tmp_path, wrong, "model.backbone.weights", "does not fit MobileNetV3Small")
    _one_line_refusal(
        cli, tmp_path, _application(tmp_path, application="MobileNetV3small"), "did you mean 'MobileNetV3Small'?"
    )
    small = _application(tmp_path)
    small["data"]["preprocess"] = [{"type": "resize", "height": 16, "width": 16}]
    _one_line_refusal(cli, tmp_path, small, "model.backbone.application", "at least 32x32", "resize")


def test_train_epochs_with_phases_is_the_total_the_last_phase_going_on(tmp_path, cli, trained_run):
    data = _transfer(trained_run[0])
    data["train"] = {
        "epochs": 3,
        "optimizer": TINY["train"]["optimizer"],
        "phases": [{"epochs": 1}, {"epochs": 1, "unfreeze": True, "learning_rate": 0.001}],
    }
    run_dir = _run_dir(cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q"))
    rows = (run_dir / "history.csv").read_text().splitlines()
    rates = [float(row.split(",")[rows[0].split(",").index("learning_rate")]) for row in rows[1:]]
    assert rates == pytest.approx([0.01, 0.001, 0.001])


def test_imagenet_weights_offline_say_where_to_put_the_file(tmp_path, cli, monkeypatch):
    import socket

    def unreachable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(keras.src.backend.config, "_KERAS_DIR", str(tmp_path / "keras_home"))  # an empty cache
    _one_line_refusal(cli, tmp_path, _application(tmp_path, weights="imagenet"), "~/.keras/models/", "weights: PATH")
