"""`eval.calibrate: temperature` end to end: fitted on validation, built into model.keras, decisions
unchanged, shown by train and eval, kept through resume and export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY, ctrl_c_in_epoch, write_config
from dlkit.cli import app
from dlkit.config import load_config
from dlkit.core import calibration
from dlkit.engine.prepare import prepare_data
from dlkit.layers.custom import TemperatureScaling
from helpers.calibration import BINARY_LOGITS, CALIBRATED, _load


def _train(folder, data, *options):
    result = CliRunner().invoke(app, ["train", str(write_config(folder, data)), "--runs-dir", str(folder), "-q"])
    assert result.exit_code == 0, result.stderr
    return (folder / "latest").resolve(), result


def _outputs(model, config, names=("train", "val", "test")):
    data = prepare_data(config)
    return {name: (model.predict(data.split(name).x, verbose=0), data.split(name).y) for name in names}


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("calibrated"), CALIBRATED)


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
