"""task: multilabel through `dlkit train`: the last layer's check, and one run of the shipped config
through train -> eval -> predict."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn import metrics as skm

from conftest import write_config
from helpers.multilabel import CONFIG, _config, make_tags_csv


def test_the_last_layer_must_give_one_unit_per_label(tmp_path, cli):
    path = make_tags_csv(tmp_path)
    config = _config(data__options={"path": str(path), "target": "tags"})
    config["model"]["layers"][-1]["units"] = 3
    expected = (
        "model.layers.2: the last layer gives 3 outputs per example, but csv has 4 labels "
        "(one sigmoid unit each); set units: 4"
    )
    dry = cli("validate", write_config(tmp_path, config), "--dry-run")
    assert dry.exit_code == 2 and dry.stderr.strip() == f"dlkit: error: {expected}"
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 2 and expected in trained.stderr and not (tmp_path / "runs").exists()
    config["model"]["layers"][-1]["units"] = 4
    summary = cli("validate", write_config(tmp_path, config), "--dry-run", "--json").stdout
    assert json.loads(summary)["output_shape"] == [4]


def _label_sets(cells) -> list[set[str]]:
    return [{t.strip() for t in str(cell).split("|")} - {""} for cell in cells]


@pytest.mark.slow
def test_shipped_config_trains_evaluates_and_predicts(tmp_path, cli):
    frame = pd.read_csv(make_tags_csv(tmp_path))
    frame[:800].to_csv(tmp_path / "train.csv", index=False)
    frame[800:].to_csv(tmp_path / "test.csv", index=False)
    sets = [f"data.options.path={tmp_path / 'train.csv'}", f"data.options.test_path={tmp_path / 'test.csv'}"]
    sets += ["train.epochs=25"]
    result = cli("train", CONFIG, "--runs-dir", tmp_path / "runs", "-q", *[a for s in sets for a in ("--set", s)])
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    assert test["micro_f1"] > 0.9 and test["macro_f1"] > 0.8
    assert test["micro_f1"] == pytest.approx(test["f1"], abs=1e-6)  # the training metric is micro F1 at 0.5
    assert json.loads((run_dir / "run.json").read_text())["headline"] == {"micro_f1": test["micro_f1"]}

    # The training metric f1 equals scikit-learn's micro F1 of the saved model's test predictions.
    predicted = cli("predict", tmp_path / "test.csv", "--run", run_dir, "--json", "-o", tmp_path / "out.csv")
    assert predicted.exit_code == 0, predicted.stderr
    rows = json.loads(predicted.stdout)["predictions"]
    assert f"target column 'tags' present: micro_f1 {test['micro_f1']:.4g}" in predicted.stderr
    labels = ["a", "b", "c", "d"]
    y_true = np.array([[name in s for name in labels] for s in _label_sets(frame[800:]["tags"])], dtype=int)
    y_pred = np.array([[row["probabilities"][name] > 0.5 for name in labels] for row in rows], dtype=int)
    assert test["f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="micro"), abs=1e-6)
    for row in rows:  # the labels above 0.5, most probable first
        probabilities = row["probabilities"]
        above = sorted((n for n in labels if probabilities[n] > 0.5), key=lambda n: -probabilities[n])
        assert [t["label"] for t in row["labels"]] == above
    written = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)["prediction"]
    assert written.tolist() == ["|".join(t["label"] for t in row["labels"]) or "(none)" for row in rows]
    assert "(none)" in written.tolist()

    # dlkit eval: the same figures, a per-label report; --set eval.threshold moves only the report.
    evaluated = cli("eval", run_dir)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert json.loads((run_dir / "eval" / "metrics.json").read_text())["test"] == pytest.approx(test, abs=1e-6)
    report = json.loads((run_dir / "eval" / "per_label_report.json").read_text())
    assert [row["label"] for row in report] == labels and "per label" in evaluated.stdout
    strict = cli("eval", run_dir, "--set", "eval.threshold=0.9")
    assert strict.exit_code == 0, strict.stderr
    at_09 = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert at_09["f1"] == pytest.approx(test["f1"], abs=1e-6)
    assert at_09["micro_recall"] < test["micro_recall"]

    # A run whose config says eval.threshold: 0.9 lists fewer labels (each a subset of those at 0.5).
    copy = tmp_path / "strict-run"
    shutil.copytree(run_dir, copy)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["eval"]["threshold"] = 0.9
    (copy / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    strict_rows = json.loads(cli("predict", tmp_path / "test.csv", "--run", copy, "--json").stdout)["predictions"]
    at_05 = [{t["label"] for t in row["labels"]} for row in rows]
    at_09 = [{t["label"] for t in row["labels"]} for row in strict_rows]
    assert all(strict <= loose for strict, loose in zip(at_09, at_05, strict=True)) and at_09 != at_05
    assert all(t["probability"] > 0.9 for row in strict_rows for t in row["labels"])
