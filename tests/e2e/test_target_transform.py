"""`data.options.target_transform` trained end to end on a small generated table of prices: the
model answers in the target's units (numpy's inverse of its own pre-inverse output), predict and
the exports give the same numbers, a log model stays positive far outside the training range, the
loss is the log space's, resume is exact, and a target outside the domain is refused."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import ctrl_c_in_epoch, write_config
from dlkit.config import load_config
from dlkit.engine.prepare import prepare_data
from dlkit.engine.score import predict
from dlkit.model.saved import load_run_model

pytestmark = pytest.mark.slow


def _prices(path: Path, rows: int = 300, zeros: bool = False, shift: float = 0.0) -> Path:
    """Prices exp(5 + 1.5a + 0.5b + noise) (150 to 4,000; `zeros`: 0 where a < -0.6), minus `shift`."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (2, rows))
    price = np.exp(5 + 1.5 * a + 0.5 * b + rng.normal(0, 0.1, rows))
    price = np.where(zeros & (a < -0.6), 0.0, price) - shift
    lines = [f"{p:.4f},{q:.4f},{v:.2f}" for p, q, v in zip(a, b, price, strict=True)]
    path.write_text("a,b,price\n" + "\n".join(lines) + "\n")
    return path


def _config(path: Path, transform: str, epochs: int = 3) -> dict:
    return {
        "name": f"prices-{transform}",
        "seed": 5,
        "task": "regression",
        "data": {
            "dataset": "csv",
            "options": {"path": str(path), "target": "price", "target_transform": transform},
            "batch_size": 16,
        },
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dropout", "rate": 0.1},
                             {"type": "dense", "units": 1}]},
        "train": {"epochs": epochs, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }  # fmt: skip


def _train(cli, folder: Path, config: dict) -> Path:
    result = cli("train", write_config(folder, config), "--runs-dir", folder / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _numpy_inverse(layer, pre: np.ndarray) -> np.ndarray:
    """What the last layer should answer for the network's output `pre`, computed by numpy."""
    config = layer.get_config()
    if layer.name == "scale_target":  # standardize: Keras's Rescaling
        return np.asarray(config["offset"]) + np.asarray(config["scale"]) * pre
    v = np.clip(np.asarray(config["mean"]) + np.asarray(config["std"]) * pre.astype("float64"), -80, 80)
    v = np.clip(v, config["low"], config["high"])  # the training range, widened
    return np.exp(v) if config["transform"] == "log" else np.expm1(np.maximum(v, -16))


@pytest.fixture(scope="module")
def log_run(tmp_path_factory):
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("log")
    path = write_config(folder, _config(_prices(folder / "prices.csv"), "log"))
    result = CliRunner().invoke(app, ["train", str(path), "--runs-dir", str(folder / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[-1])


def _inverted_exactly(run: Path) -> None:
    """model.keras's outputs on the test split are numpy's inverse of its pre-inverse outputs, and
    metrics.json scores them in the target's units with the loss in the learned space."""
    config = load_config(run / "config.yaml")
    data = prepare_data(config)
    model, test = load_run_model(run), data.splits.test
    layer = model.layers[-1]
    pre = predict(keras.Model(model.inputs, layer.input), test, config, data)
    outputs = predict(model, test, config, data)
    np.testing.assert_allclose(outputs, _numpy_inverse(layer, pre), rtol=1e-5, atol=1e-4)  # float32's own rounding
    figures = json.loads((run / "metrics.json").read_text())["test"]
    y, got = test.y.astype("float64"), outputs.reshape(-1).astype("float64")
    assert figures["mae"] == pytest.approx(np.abs(got - y).mean(), rel=1e-5)
    learned = {"log": np.log, "log1p": np.log1p}.get(layer.get_config().get("transform"), lambda v: v)
    assert figures["loss"] == pytest.approx(np.mean((learned(y) - learned(got)) ** 2), rel=1e-4)


def test_a_log_run_is_inverted_exactly_and_predicts_prices(log_run, cli, tmp_path):
    _inverted_exactly(log_run)
    assert load_run_model(log_run).layers[-1].name == "target_transform"
    config = load_config(log_run / "config.yaml")
    data = prepare_data(config)
    test, outputs = data.splits.test, predict(load_run_model(log_run), data.splits.test, config, data)
    rows = [f"{a},{b}" for a, b in zip(test.x["a"][:8], test.x["b"][:8], strict=True)]
    far = ["1000.0,1000.0", "-1000.0,-1000.0", "1000.0,-1000.0", "-1e30,1e30"]
    (tmp_path / "rows.csv").write_text("a,b\n" + "\n".join(rows + far) + "\n")
    result = cli("predict", tmp_path / "rows.csv", "--run", log_run, "--json")
    assert result.exit_code == 0, result.stderr
    values = np.array([row["value"] for row in json.loads(result.stdout)["predictions"]])
    np.testing.assert_allclose(values[:8], outputs[:8].reshape(-1), rtol=1e-5)  # prices, not logs
    assert np.isfinite(values).all() and (values > 0).all(), values[8:]  # never negative, never inf
    config = load_run_model(log_run).layers[-1].get_config()
    prices = test.y.astype("float64")
    assert np.exp(config["low"][0]) < prices.min() and prices.max() < np.exp(config["high"][0])
    assert (values >= np.exp(config["low"][0]) * 0.9999).all() and (values <= np.exp(config["high"][0]) * 1.0001).all()


@pytest.mark.parametrize(("transform", "zeros"), [("log1p", True), ("standardize", False)])
def test_log1p_and_standardize_runs_are_inverted_exactly(cli, tmp_path, transform, zeros):
    run = _train(cli, tmp_path, _config(_prices(tmp_path / "prices.csv", zeros=zeros), transform, epochs=2))
    _inverted_exactly(run)


@pytest.mark.parametrize("format", ["saved_model", "onnx", "litert"])
def test_exports_answer_in_prices_as_model_keras_does(log_run, format):
    from typer.testing import CliRunner

    from dlkit.cli import app

    result = CliRunner().invoke(app, ["export", str(log_run), "--format", format])
    assert result.exit_code == 0, result.stderr
    parity = json.loads((log_run / "export" / format / "export.json").read_text())["parity"]
    keras_figures, exported = parity["metrics"]["model.keras"], parity["metrics"]["export"]
    assert parity["passed"] and parity["examples"] >= 50
    assert parity["max_abs_diff"] < 1e-5 * 4000  # float32 of prices up to ~4,000
    assert exported == pytest.approx(keras_figures, rel=1e-5)
    assert keras_figures["loss"] < 1 < keras_figures["mae"]  # a loss of logs, an error in prices


def test_a_stopped_log_run_resumes_to_the_same_figures(cli, tmp_path):
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    path = write_config(tmp_path, _config(_prices(tmp_path / "prices.csv"), "log"))
    (tmp_path / "alone").mkdir()
    alone = _train(cli, tmp_path / "alone", _config(tmp_path / "prices.csv", "log"))
    with pytest.raises(Interrupted) as stopped:
        train(load_config(path), runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(1)])
    resumed = cli("train", "--resume", stopped.value.run_dir, "-q")
    assert resumed.exit_code == 0, resumed.stderr
    for name in ("history.csv", "metrics.json"):
        assert (stopped.value.run_dir / name).read_text() == (alone / name).read_text()


@pytest.mark.parametrize(
    ("transform", "data", "smallest"),
    [("log", {"zeros": True}, r"0"), ("log1p", {"shift": 2000.0}, r"-19\d\d(\.\d+)?")],
)
def test_a_target_outside_the_domain_is_refused_before_training(cli, tmp_path, transform, data, smallest):
    config = write_config(tmp_path, _config(_prices(tmp_path / "prices.csv", **data), transform))
    result = cli("train", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and message[0].startswith(f"dlkit: error: data.options.target_transform: {transform} ")
    assert re.search(f"the smallest of column 'price' in the training split is {smallest};", message[0]), message
    assert not (tmp_path / "runs").exists()


def test_a_search_over_the_transform_ranks_its_trials_in_the_targets_units(cli, tmp_path):
    """`dlkit tune` over none and log, judged by val_mae: each trial's model ends as its transform
    says, and the figure it is ranked by is in prices for both, as metrics.json scores model.keras."""
    data = _config(_prices(tmp_path / "prices.csv"), "none", epochs=2)
    space = {"data.options.target_transform": {"type": "categorical", "choices": ["none", "log"]}}
    data["tune"] = {"metric": "val_mae", "trials": 2, "sampler": "grid", "space": space}
    result = cli("tune", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    trials = json.loads((folder / "tune.json").read_text())["trials"]
    last = {row["data.options.target_transform"]: load_run_model(folder / row["run"]).layers[-1].name for row in trials}
    assert last == {"none": "scale_target", "log": "target_transform"}
    for row in trials:
        run = folder / row["run"]
        logged = [float(r["val_mae"]) for r in csv.DictReader((run / "history.csv").open())]
        scored = json.loads((run / "metrics.json").read_text())["val"]["mae"]  # of model.keras, by sklearn
        assert row["val_mae"] == pytest.approx(min(logged)) and min(logged) > 10  # prices, not logs
        assert any(scored == pytest.approx(value, rel=1e-3) for value in logged)
