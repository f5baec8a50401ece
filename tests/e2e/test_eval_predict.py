"""`dlkit eval` and `dlkit predict` from the run folder alone."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from helpers.eval_predict import _digit_pngs


def test_eval_reproduces_the_training_test_metrics(trained_run, cli):
    run_dir, _ = trained_run
    result = cli("eval", run_dir)
    assert result.exit_code == 0, result.stderr
    trained = json.loads((run_dir / "metrics.json").read_text())["test"]
    evaluated = json.loads((run_dir / "eval" / "metrics.json").read_text())["test"]
    assert evaluated.keys() == trained.keys()
    for name, value in trained.items():
        assert evaluated[name] == pytest.approx(value, abs=1e-6), name
    assert (run_dir / "eval" / "confusion_matrix.png").stat().st_size > 0
    rows = json.loads((run_dir / "eval" / "classification_report.json").read_text())
    assert [r["class"] for r in rows] == [str(d) for d in range(10)]
    assert "per class" in result.stdout


def test_eval_other_split_and_bad_split(trained_run, cli):
    run_dir, _ = trained_run
    assert cli("eval", run_dir, "--split", "val").exit_code == 0
    bad = cli("eval", run_dir, "--split", "dev")
    assert bad.exit_code == 2 and "--split: expected train, val or test" in bad.stderr


def test_predict_brings_any_image_to_the_training_input(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    paths = _digit_pngs(tmp_path / "images")
    result = cli("predict", *paths, "--run", run_dir, "--json", "--top-k", "2")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["predictions"]
    assert [r["input"] for r in rows] == [str(p) for p in paths]
    for row in rows:
        assert len(row["top_k"]) == 2 and row["top_k"][0]["label"] == row["label"]
        assert 0 < row["probability"] <= 1
    correct = sum(row["label"] == row["input"].split("_")[-1].split(".")[0] for row in rows)
    assert correct >= 4  # a 2-epoch tiny model; the quickstart gets them all


def test_predict_matches_the_model_on_the_training_pixels(trained_run, cli, tmp_path):
    """A PNG of a training image predicts exactly what the model gives for that array."""
    import keras

    run_dir, _ = trained_run
    pixels = np.round(load_digits().images[0] * 255 / 16).astype("uint8")
    Image.fromarray(pixels, "L").save(tmp_path / "zero.png")
    row = json.loads(cli("predict", tmp_path / "zero.png", "--run", run_dir, "--json").stdout)["predictions"][0]
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    probs = model.predict(pixels[None, ..., None].astype("float32"), verbose=0)[0]
    assert row["label"] == str(int(probs.argmax()))
    assert row["probability"] == pytest.approx(float(probs.max()), abs=1e-6)


def test_predict_a_folder_uses_the_newest_finished_run(trained_run, cli, tmp_path, monkeypatch):
    run_dir, _ = trained_run
    monkeypatch.chdir(run_dir.parent.parent)  # so that ./runs is the trained run's folder
    _digit_pngs(run_dir.parent.parent / "images", 3)
    result = cli("predict", "images", "--json")
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["run"] == f"runs/{run_dir.name}" and len(output["predictions"]) == 3
    assert "images/digit_0_0.png" in cli("predict", "images").stdout  # the table


def test_predict_reports_bad_inputs_and_still_predicts_the_rest(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    good = _digit_pngs(tmp_path / "images", 1)[0]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    result = cli("predict", good, tmp_path / "broken.png", tmp_path / "missing.png", "--run", run_dir, "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["predictions"]
    assert "label" in rows[0]
    assert "cannot read as an image" in rows[1]["error"] and rows[2]["error"] == "no such file"
    assert "missing.png: no such file" in result.stderr


def test_a_copied_run_folder_predicts_the_same(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    copy = shutil.copytree(run_dir, tmp_path / "elsewhere" / run_dir.name)
    path = _digit_pngs(tmp_path / "images", 1)[0]
    here = json.loads(cli("predict", path, "--run", run_dir, "--json").stdout)
    there = json.loads(cli("predict", path, "--run", copy, "--json").stdout)
    assert here["predictions"][0]["top_k"] == there["predictions"][0]["top_k"]


def test_runs_table_lists_the_run(trained_run, cli):
    run_dir, _ = trained_run
    result = cli("runs", run_dir.parent)
    assert result.exit_code == 0 and run_dir.name in result.stdout.replace("\n", "") and "completed" in result.stdout


def test_text_is_refused_by_an_image_run(trained_run, cli):
    run_dir, _ = trained_run
    result = cli("predict", "--text", "hello", "--run", run_dir)
    assert result.exit_code == 2 and "--text needs a run trained on text; this one takes image inputs" in result.stderr


def test_predict_without_run_names_the_run_in_every_error(trained_run, cli, monkeypatch):
    run_dir, _ = trained_run
    root = run_dir.parent.parent
    monkeypatch.chdir(root)  # ./runs holds the image run
    about = f"runs/{run_dir.name} (an image run)"
    (root / "rows.csv").write_text("user_id,rating\n7,3.5\n")
    (root / "nothing-here").mkdir(exist_ok=True)
    wrong_kind = cli("predict", "rows.csv")
    assert wrong_kind.exit_code == 1
    assert "rows.csv: not an image (this run takes .bmp, " in wrong_kind.stderr
    assert f"{about}: 1 of 1 inputs could not be predicted" in wrong_kind.stderr
    nothing = cli("predict", "nothing-here")
    assert nothing.exit_code == 2 and f"dlkit: error: {about}: no image files to predict" in nothing.stderr
    text = cli("predict", "--text", "hello")
    assert text.exit_code == 2 and f"{about}: --text needs a run trained on text" in text.stderr
    for result in (wrong_kind, nothing, text):
        assert result.stderr.count(run_dir.name) == 1 and "Traceback" not in result.stderr
        assert all(len(line) < 300 for line in result.stderr.splitlines())
