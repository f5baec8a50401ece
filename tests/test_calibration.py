"""Calibration: the expected calibration error against hand-computed values, the reliability
diagram, and `eval.calibrate: temperature` end to end (fitted on validation, built into
model.keras, decisions unchanged, shown by train and eval, kept through resume and export)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY, ctrl_c_in_epoch, write_config
from dlkit.cli import app
from dlkit.config import load_config
from dlkit.config.loader import parse_config
from dlkit.core import calibration
from dlkit.core.errors import ConfigError
from dlkit.engine.prepare import prepare_data
from dlkit.engine.task import task_of
from dlkit.layers.custom import TemperatureScaling

CALIBRATED = {**TINY, "name": "calibrated", "eval": {"calibrate": "temperature"}}
#: Logistic regression on breast_cancer giving logits (the loss takes them).
BINARY_LOGITS = {
    **TINY,
    "name": "binary_logits",
    "task": "binary",
    "data": {
        "dataset": "breast_cancer",
        "split": {"validation": 0.2, "test": 0.2},
        "preprocess": [{"type": "normalize"}],
        "batch_size": 32,
    },
    "model": {"layers": [{"type": "dense", "units": 1}]},
    "train": {**TINY["train"], "loss": {"type": "binary_crossentropy", "from_logits": True}},
    "eval": {"calibrate": "temperature"},
}


def _train(folder, data, *options):
    result = CliRunner().invoke(app, ["train", str(write_config(folder, data)), "--runs-dir", str(folder), "-q"])
    assert result.exit_code == 0, result.stderr
    return (folder / "latest").resolve(), result


def _load(path):
    return keras.saving.load_model(path, safe_mode=True, compile=False)


def _outputs(model, config, names=("train", "val", "test")):
    data = prepare_data(config)
    return {name: (model.predict(data.split(name).x, verbose=0), data.split(name).y) for name in names}


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("calibrated"), CALIBRATED)


# --- the error and the diagram, by hand ---


def test_ece_of_hand_made_probabilities():
    task = task_of(parse_config(TINY))
    probs = np.array(
        [
            [0.90, 0.05, 0.05],  # label 0: right at 0.90 (bin 13)
            [0.10, 0.80, 0.10],  # label 2: wrong at 0.80, the upper edge of bin 11 (0.7333, 0.8]
            [0.20, 0.10, 0.70],  # label 2: right at 0.70 (bin 10)
            [0.30, 0.65, 0.05],  # label 1: right at 0.65 (bin 9)
            [0.95, 0.03, 0.02],  # label 0: right at 0.95 } bin 14: confidence 0.96,
            [0.01, 0.02, 0.97],  # label 1: wrong at 0.97 }         accuracy 0.5
        ]
    )
    y = np.array([0, 2, 2, 1, 0, 1])
    expected = (0.10 + 0.80 + 0.30 + 0.35 + 2 * 0.46) / 6  # = 0.41166...
    assert task.report(y, probs)["ece"] == pytest.approx(expected, abs=1e-12)
    bins = calibration.reliability(probs, y)["bins"]
    assert len(bins) == 15 and [b["count"] for b in bins] == [0] * 9 + [1, 1, 1, 0, 1, 2]
    assert bins[14]["confidence"] == pytest.approx(0.96) and bins[14]["accuracy"] == 0.5
    assert bins[11]["upper"] == pytest.approx(0.8)


def test_binary_ece_takes_the_confidence_of_the_predicted_class():
    binary = {**BINARY_LOGITS, "train": {**TINY["train"]}, "eval": {}}  # sigmoid probabilities
    task = task_of(parse_config(binary))
    p = np.array([[0.90], [0.20], [0.70], [0.45]])
    y = np.array([1, 1, 0, 0])
    # predicted 1 at 0.90 (right), 0 at 0.80 (wrong), 1 at 0.70 (wrong), 0 at 0.55 (right); one per bin
    assert task.report(y, p)["ece"] == pytest.approx((0.10 + 0.80 + 0.70 + 0.45) / 4, abs=1e-12)


def test_ece_is_a_default_report_metric_of_classification_and_binary_only():
    assert "ece" in parse_config(TINY).eval.metrics
    assert "ece" in parse_config({**BINARY_LOGITS, "eval": {}}).eval.metrics
    regression = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "diabetes"},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    with pytest.raises(ConfigError, match="eval.metrics.0: 'ece' does not fit task 'regression'"):
        parse_config({**regression, "eval": {"metrics": ["ece"]}})


# --- temperature scaling, numbers only ---


def test_the_fitted_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 5))
    truth = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y = np.array([rng.choice(5, p=p) for p in truth])
    overconfident = np.exp(calibration.log_probabilities(2.5 * logits, "softmax")).astype("float32")
    z = calibration.scores(overconfident, "softmax", from_logits=False)
    temperature = calibration.fit_temperature(z, y, "softmax")
    assert temperature == pytest.approx(2.5, rel=0.1)
    figures = calibration.figures(z, y, "softmax", temperature)
    assert figures["ece_after"] < figures["ece_before"] / 3 and figures["nll_after"] < figures["nll_before"]


@pytest.mark.parametrize(
    ("mode", "head", "outputs"),
    [
        ("softmax", "softmax", np.array([[0.7, 0.2, 0.1], [0.0, 0.999, 0.001]], "float32")),
        ("sigmoid", "sigmoid", np.array([[0.9], [0.3], [1.0]], "float32")),
        ("logits", "softmax", np.array([[2.0, -1.0, 0.5]], "float32")),
    ],
)
def test_the_layer_applies_what_the_numbers_fit_and_loads_in_safe_mode(tmp_path, mode, head, outputs):
    inputs = keras.Input(outputs.shape[1:])
    model = keras.Model(inputs, TemperatureScaling(1.7, mode)(inputs))
    model.save(tmp_path / "m.keras")
    got = _load(tmp_path / "m.keras").predict(outputs, verbose=0)
    z = calibration.scores(outputs, head, from_logits=mode == "logits") / 1.7
    if mode == "logits":
        expected = z
    else:
        expected = np.exp(calibration.log_probabilities(z, head))[:, -1 if head == "sigmoid" else slice(None)]
    np.testing.assert_allclose(got, expected.reshape(got.shape), atol=1e-6)
    assert (got.argmax(-1) == outputs.argmax(-1)).all() if mode != "sigmoid" else ((got > 0.5) == (outputs > 0.5)).all()


def test_the_layer_refuses_what_is_not_a_temperature():
    with pytest.raises(ValueError, match="temperature > 0"):
        TemperatureScaling(0.0, "softmax")
    with pytest.raises(ValueError, match="mode of"):
        TemperatureScaling(2.0, "tanh")


# --- the config ---


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "task": "regression",
                "data": {"dataset": "diabetes"},
                "model": {"layers": [{"type": "dense", "units": 1}]},
            },
            "eval.calibrate: only for task binary or classification (task is 'regression')",
        ),
        (
            {"data": {**TINY["data"], "split": {"validation": 0}}},
            "eval.calibrate: the temperature is fitted on the validation split, but data.split.validation is 0",
        ),
        ({"eval": {"calibrate": "platt"}}, "eval.calibrate: Input should be 'temperature'"),
    ],
)
def test_calibrate_is_refused_in_one_line_where_it_cannot_work(changes, message):
    with pytest.raises(ConfigError) as refused:
        parse_config({**CALIBRATED, **changes})
    assert message in str(refused.value) and "\n" not in str(refused.value)


# --- end to end ---


def test_training_fits_the_temperature_on_validation_and_shows_ece_before_and_after(calibrated_run):
    run_dir, result = calibrated_run
    report = json.loads((run_dir / "calibration.json").read_text())
    assert report["method"] == "temperature" and report["mode"] == "softmax" and report["fitted_on"] == "val"
    assert report["temperature"] > 0 and report["temperature"] != pytest.approx(1.0, abs=1e-3)
    # The least NLL on validation over T: at least as low as T = 1 (the model as trained).
    assert report["val"]["nll_after"] <= report["val"]["nll_before"] + 1e-9
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for split in ("val", "test"):  # metrics.json scores the calibrated model.keras
        assert metrics[split]["ece"] == pytest.approx(report[split]["ece_after"], abs=1e-5)
        assert metrics[split]["loss"] == pytest.approx(report[split]["nll_after"], abs=1e-4)
    assert "temperature scaling" in result.stdout and "ece before" in result.stdout
    assert f"{report['test']['ece_before']:.4f}" in result.stdout
    assert _is_png(run_dir / "plots" / "reliability.png")
    bins = json.loads((run_dir / "plots" / "reliability.json").read_text())
    assert bins["ece"] == pytest.approx(metrics["test"]["ece"], abs=1e-12)


def test_calibration_keeps_every_decision_and_the_accuracy(calibrated_run):
    run_dir, _ = calibrated_run
    config = load_config(run_dir / "config.yaml")
    model = _load(run_dir / "model.keras")
    assert isinstance(model.layers[-1], TemperatureScaling)
    as_trained = _outputs(_load(run_dir / "checkpoints" / "best.keras"), config)
    calibrated = _outputs(model, config)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    temperature = json.loads((run_dir / "calibration.json").read_text())["temperature"]
    for split, (before, y) in as_trained.items():
        after = calibrated[split][0]
        assert (after.argmax(-1) == before.argmax(-1)).all(), split
        assert metrics[split]["accuracy"] == pytest.approx(float((before.argmax(-1) == y).mean()), abs=1e-7)
        scaled = calibration.log_probabilities(calibration.scores(before, "softmax", False) / temperature, "softmax")
        np.testing.assert_allclose(after, np.exp(scaled), atol=1e-5)


def test_eval_shows_ece_before_and_after_and_predict_gives_the_calibrated_probabilities(calibrated_run, tmp_path):
    from PIL import Image
    from sklearn.datasets import load_digits

    run_dir, _ = calibrated_run
    result = CliRunner().invoke(app, ["eval", str(run_dir)])
    assert result.exit_code == 0, result.stderr
    assert "temperature scaling" in result.stdout and "ece" in result.stdout
    trained = json.loads((run_dir / "calibration.json").read_text())["test"]
    evaluated = json.loads((run_dir / "eval" / "calibration.json").read_text())
    assert evaluated["split"] == "test"
    for name in ("ece_before", "ece_after", "nll_before", "nll_after"):
        assert evaluated[name] == pytest.approx(trained[name], abs=1e-5), name
    assert _is_png(run_dir / "eval" / "reliability.png")
    assert json.loads((run_dir / "eval" / "reliability.json").read_text())["ece"] == pytest.approx(
        json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]["ece"], abs=1e-12
    )

    pixels = np.round(load_digits().images[0] * 255 / 16).astype("uint8")
    Image.fromarray(pixels, "L").save(tmp_path / "zero.png")
    predicted = CliRunner().invoke(app, ["predict", str(tmp_path / "zero.png"), "--run", str(run_dir), "--json"])
    row = json.loads(predicted.stdout)["predictions"][0]
    x = pixels[None, ..., None].astype("float32")
    calibrated = _load(run_dir / "model.keras").predict(x, verbose=0)[0]
    as_trained = _load(run_dir / "checkpoints" / "best.keras").predict(x, verbose=0)[0]
    assert row["probability"] == pytest.approx(float(calibrated.max()), abs=1e-6)
    assert abs(float(calibrated.max()) - float(as_trained.max())) > 1e-4  # it is not the model as trained


def test_a_binary_run_on_logits_is_calibrated_on_its_logits(tmp_path):
    run_dir, _ = _train(tmp_path, BINARY_LOGITS)
    report = json.loads((run_dir / "calibration.json").read_text())
    assert report["mode"] == "logits"
    config = load_config(run_dir / "config.yaml")
    before = _outputs(_load(run_dir / "checkpoints" / "best.keras"), config)
    after = _outputs(_load(run_dir / "model.keras"), config)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    for split, (logits, y) in before.items():
        np.testing.assert_allclose(after[split][0], logits / report["temperature"], rtol=1e-5, atol=1e-6)
        assert metrics[split]["accuracy"] == pytest.approx(float(((logits.reshape(-1) > 0) == y).mean()), abs=1e-7)
        assert "ece" in metrics[split]


@pytest.mark.slow
def test_resume_and_extend_calibrate_the_model_they_finish(calibrated_run, tmp_path):
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    alone, _ = calibrated_run
    with pytest.raises(Interrupted) as stopped:
        config = load_config(write_config(tmp_path, CALIBRATED))
        train(config, runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    assert not (run_dir / "calibration.json").exists()
    resumed = CliRunner().invoke(app, ["train", "--resume", str(run_dir), "-q"])
    assert resumed.exit_code == 0, resumed.stderr
    assert "temperature scaling" in resumed.stdout
    # The checkpoints hold the model as trained: the resumed run ends as the uninterrupted one.
    calibrated = json.loads((run_dir / "calibration.json").read_text())
    assert calibrated == json.loads((alone / "calibration.json").read_text())

    before = (run_dir / "model.keras").read_bytes()
    extended = CliRunner().invoke(app, ["train", "--resume", str(run_dir), "--extend-epochs", "1", "-q"])
    assert extended.exit_code == 0, extended.stderr
    new = extended.stdout.strip().splitlines()[-1]
    model = _load(f"{new}/model.keras")
    assert [type(layer).__name__ for layer in model.layers].count("TemperatureScaling") == 1
    assert isinstance(model.layers[-1], TemperatureScaling)
    assert json.loads(open(f"{new}/calibration.json").read())["temperature"] > 0
    assert (run_dir / "model.keras").read_bytes() == before


@pytest.mark.slow
def test_an_export_of_a_calibrated_run_keeps_the_temperature(calibrated_run):
    run_dir, _ = calibrated_run
    result = CliRunner().invoke(app, ["export", str(run_dir), "--format", "onnx"])
    assert result.exit_code == 0, result.stderr
    parity = json.loads((run_dir / "export" / "onnx" / "export.json").read_text())["parity"]
    assert parity["passed"] and parity["agreement"] == 1.0 and parity["max_abs_diff"] < 1e-4


def _is_png(path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_validating_on_the_test_split_says_the_temperature_saw_it(tmp_path):
    data = {**CALIBRATED, "data": {**TINY["data"], "split": {"validation": "test", "test": 0.2}}}
    run_dir, _ = _train(tmp_path, data)
    report = json.loads((run_dir / "calibration.json").read_text())
    assert report["fitted_on"] == "test" and report["val"] == report["test"]
