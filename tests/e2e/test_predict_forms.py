"""`dlkit predict`'s forms give the answers they look like they give: `predict RUN INPUT...` uses
RUN (not the newest run, RUN's files no inputs); a text run reads a CSV by its header and the
column it was trained on, and scores the label column; an image run predicts a test folder of
class sub-folders and scores it against them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from helpers.predict_forms import _csv, _reviews


def _newer_copy(run_dir: Path, runs: Path) -> Path:
    """A finished run newer than `run_dir`, which `dlkit predict` without a run would take."""
    copy = Path(shutil.copytree(run_dir, runs / "newer-20991231-000000"))
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps(info | {"ended": "2099-12-31T00:00:00"}))
    return copy


def _digit(path: Path, index: int = 0) -> Path:
    pixels = np.round(load_digits().images[index] * 255 / 16).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "L").save(path)
    return path


def test_a_run_folder_first_is_the_run(trained_run, cli, tmp_path, monkeypatch):
    run_dir, _ = trained_run
    monkeypatch.chdir(tmp_path)
    _newer_copy(run_dir, tmp_path / "runs")
    image = _digit(tmp_path / "seven.png")
    result = cli("predict", run_dir, image, "--json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["run"] == str(run_dir)
    assert [row["input"] for row in output["predictions"]] == [str(image)]  # RUN's own files are no inputs


def test_a_run_named_twice_is_one_line(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    image = _digit(tmp_path / "seven.png")
    result = cli("predict", run_dir, image, "--run", run_dir)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"dlkit: error: two runs: {run_dir} (the first argument) and --run {run_dir}; name the run once"
    ]
    nothing = cli("predict", run_dir)
    assert nothing.exit_code == 2 and "nothing to predict: give files or folders (after the run)" in nothing.stderr


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda run: _status(run, "failed"), "a run folder whose run is failed, not completed; give a finished run"),
        (lambda run: _status(run, "running", pid=2**22 + 1), "whose run is interrupted, not completed"),
        (lambda run: (run / "run.json").unlink(), "a run folder's files (model.keras, history.csv, checkpoints) but "),
    ],
)
def test_a_run_folder_that_is_not_finished_is_refused(trained_run, cli, tmp_path, change, said):
    run_dir, _ = trained_run
    copy = Path(shutil.copytree(run_dir, tmp_path / "copy"))
    change(copy)
    result = cli("predict", copy, _digit(tmp_path / "seven.png"))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and f"dlkit: error: {copy}: " in result.stderr
    assert said in result.stderr


def _status(run: Path, status: str, **more) -> None:
    import platform

    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(info | {"status": status, "host": platform.node(), **more}))


def test_a_text_csv_is_read_by_its_header_and_its_label_column_scored(text_run, cli, tmp_path):
    reviews = _reviews(30, seed=5)
    data = _csv(tmp_path / "new.csv", reviews)
    result = cli("predict", text_run, data, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["predictions"]
    assert [row["input"] for row in rows] == [f"{data}:{i + 2}" for i in range(30)]  # a row each, no header
    accuracy = np.mean([row["label"] == label for row, (_, label) in zip(rows, reviews, strict=True)])
    assert f"label column 'sentiment' present: accuracy {accuracy:.4g} on 30 rows" in result.stderr
    one = cli("predict", text_run, "--text", reviews[0][0], "--json")
    assert json.loads(one.stdout)["predictions"][0]["top_k"] == rows[0]["top_k"]  # the text column, as it is


def test_a_text_csv_without_labels_is_predicted_and_a_txt_file_stays_a_line_each(text_run, cli, tmp_path):
    unlabelled = _csv(tmp_path / "new.csv", _reviews(5, seed=6), header="id,review")
    lines = tmp_path / "new.txt"
    lines.write_text("review,sentiment\nso boring, dreadful\n")
    result = cli("predict", text_run, unlabelled, lines, "--json")
    assert result.exit_code == 0, result.output
    inputs = [row["input"] for row in json.loads(result.stdout)["predictions"]]
    assert inputs == [f"{unlabelled}:{i + 2}" for i in range(5)] + [f"{lines}:1", f"{lines}:2"]
    assert "present" not in result.stderr


def test_a_text_csv_without_the_text_column_or_with_a_blank_text_is_reported(text_run, cli, tmp_path):
    wrong = _csv(tmp_path / "wrong.csv", [("a fine film", "pos")], header="id,text,sentiment")
    blank = _csv(tmp_path / "blank.csv", [("", "pos"), ("superb", "pos")])
    result = cli("predict", text_run, wrong, blank, "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["predictions"]
    assert rows[0]["error"].startswith("no column 'review', which this run reads its texts from; the file has id")
    assert rows[1] == {"input": f"{blank}:2", "error": "column 'review' is empty"} and "label" in rows[2]


def test_a_test_folder_of_class_sub_folders_is_predicted_and_scored(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    digits = load_digits()
    folder = tmp_path / "test"
    for i in range(40):
        _digit(folder / str(digits.target[i]) / f"{i}.png", i)
    for i in range(3):
        _digit(folder / "unsorted" / "deeper" / f"{i}.png", 100 + i)
    result = cli("predict", run_dir, folder, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["predictions"]
    assert len(rows) == 43
    scored = [row for row in rows if "unsorted" not in row["input"]]
    accuracy = np.mean([row["label"] == Path(row["input"]).parent.name for row in scored])
    assert f"class sub-folders present: accuracy {accuracy:.4g} on 40 images" in result.stderr
    assert (
        "dlkit: warning: sub-folders unsorted are not classes of this run (0, 1, 2, 3, 4 and 5 more): "
        "their images are predicted, not scored"
    ) in result.stderr


def test_a_segmentation_folder_gives_its_images_not_its_masks(trained_run, cli, tmp_path):
    run_dir, _ = trained_run
    for i in range(3):
        _digit(tmp_path / "shapes" / "images" / f"{i}.png", i)
        _digit(tmp_path / "shapes" / "masks" / f"{i}.png", i)
    result = cli("predict", run_dir, tmp_path / "shapes", "--json")
    assert result.exit_code == 0, result.output
    inputs = [row["input"] for row in json.loads(result.stdout)["predictions"]]
    assert inputs == [str(tmp_path / "shapes" / "images" / f"{i}.png") for i in range(3)]
    assert "warning" not in result.stderr and "present" not in result.stderr
