"""`train.track: {type: mlflow}`: a run logged to a local MLflow store and read back through
`mlflow.search_runs`; tune trials as child runs; a missing mlflow is one line naming the extra."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from conftest import TINY, write_config


def _tracked(tmp_path: Path, epochs: int = 2, **extra) -> dict:
    track = {"type": "mlflow", "uri": str(tmp_path / "mlruns"), "experiment": "polish"}
    return {**TINY, "train": {**TINY["train"], "epochs": epochs, "track": track}, **extra}


def _runs(tmp_path: Path):
    import mlflow

    mlflow.set_tracking_uri(str(tmp_path / "mlruns"))
    return mlflow.search_runs(experiment_names=["polish"], output_format="list")


@pytest.fixture(autouse=True)
def file_store(monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps its folder store for those who ask


def test_a_run_is_logged_with_params_epochs_metrics_tags_and_artifacts(tmp_path, cli):
    result = cli("train", write_config(tmp_path, _tracked(tmp_path)), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    [run] = _runs(tmp_path)
    assert run.info.status == "FINISHED" and run.info.run_name == run_dir.name
    params = run.data.params
    assert params["train.epochs"] == "2" and params["model.layers.0.filters"] == "8"
    assert params["train.optimizer.learning_rate"] == "0.01" and params["data.dataset"] == "digits"
    info = json.loads((run_dir / "run.json").read_text())
    assert run.data.tags["dlkit.dataset_fingerprint"] == info["dataset_fingerprint"]
    assert run.data.tags["dlkit.version"] == info["versions"]["dlkit"]
    assert info["mlflow"]["run_id"] == run.info.run_id
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert run.data.metrics["test.accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert run.data.metrics["val.loss"] == pytest.approx(metrics["val"]["loss"])

    from mlflow.tracking import MlflowClient

    client = MlflowClient(str(tmp_path / "mlruns"))
    with open(run_dir / "history.csv", newline="") as f:
        history = list(csv.DictReader(f))
    logged = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "val_loss"))
    assert logged == [(int(row["epoch"]), pytest.approx(float(row["val_loss"]))) for row in history]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model.keras", "config.yaml", "metrics.json", "plots"} <= artifacts
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert "plots/learning_curves.png" in plots


def test_tune_trials_are_children_of_the_study_run(tmp_path, cli):
    data = _tracked(tmp_path, epochs=1)
    space = {"model.layers.0.filters": {"type": "int", "low": 4, "high": 8, "step": 4}}
    data["tune"] = {"metric": "val_accuracy", "trials": 2, "space": space}
    result = cli("tune", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    study = Path(result.stdout.strip().splitlines()[-1])
    runs = {run.info.run_name: run for run in _runs(tmp_path)}
    assert set(runs) == {study.name, "trial-000", "trial-001"}
    parent = runs[study.name].info.run_id
    for name in ("trial-000", "trial-001"):
        assert runs[name].data.tags["mlflow.parentRunId"] == parent and runs[name].info.status == "FINISHED"
    assert {runs[n].data.params["model.layers.0.filters"] for n in ("trial-000", "trial-001")} == {"4", "8"}


def test_without_mlflow_the_config_is_refused_in_one_line(tmp_path, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed: find_spec finds nothing
    path = write_config(tmp_path, _tracked(tmp_path))
    for args in (["validate", path], ["train", path, "--runs-dir", tmp_path / "runs", "-q"]):
        result = cli(*args)
        assert result.exit_code == 2
        [line] = result.stderr.strip().splitlines()
        assert "train.track" in line and "pip install 'dlkit[mlflow]'" in line
    assert not (tmp_path / "runs").exists()


def test_an_interrupted_run_is_killed_then_resumed_into_the_same_mlflow_run(tmp_path, cli):
    from conftest import ctrl_c_in_epoch
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    with pytest.raises(Interrupted) as stopped:
        train(load_config(write_config(tmp_path, _tracked(tmp_path))), runs_dir=tmp_path / "runs",
              callbacks=[ctrl_c_in_epoch(1)])  # fmt: skip
    [run] = _runs(tmp_path)
    assert run.info.status == "KILLED" and "test.accuracy" not in run.data.metrics
    resumed = cli("train", "--resume", stopped.value.run_dir, "-q")
    assert resumed.exit_code == 0, resumed.stderr
    [again] = _runs(tmp_path)
    assert again.info.run_id == run.info.run_id and again.info.status == "FINISHED"
    assert "test.accuracy" in again.data.metrics

    from mlflow.tracking import MlflowClient

    history = MlflowClient(str(tmp_path / "mlruns")).get_metric_history(run.info.run_id, "val_loss")
    assert sorted(m.step for m in history) == [1, 2]  # each epoch once, across the interruption
