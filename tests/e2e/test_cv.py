"""`dlkit cv`: folds that partition what the test split leaves, seeded; a fold folder that `dlkit eval`
scores as its fold; cv.json's statistics; an interrupted cross-validation continued; refusals."""

import json
import math
import os
import re
import signal
import statistics
from pathlib import Path

import keras
import pytest

from conftest import REPO, TINY, write_config
from dlkit.core.errors import DlkitError
from dlkit.crossval.run import cross_validate

ONE_EPOCH = {**TINY, "train": {**TINY["train"], "epochs": 1}}


@pytest.mark.slow
def test_cv_writes_fold_runs_and_their_statistics(tmp_path, cli):
    config = write_config(tmp_path, ONE_EPOCH)
    result = cli("cv", config, "--folds", "3", "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    cv_dir = Path(result.stdout.strip().splitlines()[-1])
    assert cv_dir.parent == tmp_path / "runs" and cv_dir.name.startswith("tiny-cv-")
    assert "95% interval" in result.stdout and "fold-3" in result.stdout
    record = json.loads((cv_dir / "cv.json").read_text())
    accuracies = []
    for k in (1, 2, 3):
        fold = cv_dir / f"fold-{k}"
        metrics = json.loads((fold / "metrics.json").read_text())
        assert record["runs"][f"fold-{k}"]["test"]["accuracy"] == metrics["test"]["accuracy"]
        accuracies.append(metrics["val"]["accuracy"])
    summary = record["summary"]["val"]["accuracy"]
    assert summary["mean"] == pytest.approx(statistics.mean(accuracies))
    assert summary["std"] == pytest.approx(statistics.stdev(accuracies))
    half = 4.302652729911275 * summary["std"] / math.sqrt(3)  # Student t, 2 degrees of freedom, 97.5%
    assert summary["interval"] == pytest.approx([summary["mean"] - half, summary["mean"] + half])
    # A fold folder is a run like any: eval sees its own fold.
    evaluated = cli("eval", cv_dir / "fold-2", "--split", "val")
    assert evaluated.exit_code == 0, evaluated.stderr
    val = json.loads((cv_dir / "fold-2" / "eval" / "metrics.json").read_text())["val"]
    assert val["accuracy"] == pytest.approx(record["runs"]["fold-2"]["val"]["accuracy"], abs=1e-6)


class CtrlCInSecondFold(keras.callbacks.Callback):
    """Presses Ctrl-C after the first batch of the second training it sees."""

    trainings = 0

    def on_train_begin(self, logs=None):
        CtrlCInSecondFold.trainings += 1
        self.armed = CtrlCInSecondFold.trainings == 2

    def on_train_batch_end(self, batch, logs=None):
        if self.armed:
            self.armed = False
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.slow
def test_an_interrupted_cv_continues_its_missing_folds(tmp_path, cli):
    config = write_config(tmp_path, ONE_EPOCH)
    runs = tmp_path / "runs"
    with pytest.raises(DlkitError, match=r"interrupted in fold-2; the same dlkit cv command continues"):
        cross_validate(config, [], folds=3, runs_dir=runs, progress=lambda: [CtrlCInSecondFold()])
    (cv_dir,) = runs.glob("tiny-cv-*")
    first = (cv_dir / "fold-1" / "run.json").read_text()
    assert json.loads((cv_dir / "fold-2" / "run.json").read_text())["status"] == "interrupted"
    assert not (cv_dir / "fold-3").exists()
    again = cli("cv", config, "--folds", "3", "--runs-dir", runs, "-q")
    assert again.exit_code == 0, again.stderr
    assert Path(again.stdout.strip().splitlines()[-1]) == cv_dir
    assert "fold-2: resuming" in again.stderr and "fold-1" not in again.stderr
    assert (cv_dir / "fold-1" / "run.json").read_text() == first  # a finished fold is left alone
    assert json.loads((cv_dir / "fold-2" / "run.json").read_text())["resumed"]
    assert set(json.loads((cv_dir / "cv.json").read_text())["runs"]) == {"fold-1", "fold-2", "fold-3"}
    failed = cv_dir / "fold-3" / "run.json"  # a fold that failed (a NaN loss, say) is trained again
    failed.write_text(json.dumps({**json.loads(failed.read_text()), "status": "failed"}))
    retried = cli("cv", config, "--folds", "3", "--runs-dir", runs, "-q")
    assert retried.exit_code == 0, retried.stderr
    assert "fold-3: failed; training it again" in retried.stderr and "fold-2" not in retried.stderr
    assert json.loads(failed.read_text())["status"] == "completed"
    fresh = cli("cv", config, "--folds", "3", "--runs-dir", runs, "-q", "--new")
    assert fresh.exit_code == 0, fresh.stderr
    assert Path(fresh.stdout.strip().splitlines()[-1]) != cv_dir and "fold-1: training" in fresh.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--folds", "1"], "--folds 1: cross-validation needs at least 2 folds"),
        (["--folds", "0"], "--folds 0: cross-validation needs at least 2 folds"),
        (["--repeats", "0"], "--repeats 0: at least 1"),
        (["--folds", "150"], r"--folds 150: class '\d' has only 1\d\d examples once the test split is held out"),
        (["--set", "data.split.fold=2"], "data.split.folds: fold is set: set folds too"),
        (["-s", "data.split.group=a", "-s", "data.split.ordered=true"], "data.split.group: ordered splits keep the"),
    ],
)
def test_bad_requests_are_one_line_and_leave_no_folder(tmp_path, cli, args, message):
    result = cli("cv", write_config(tmp_path, TINY), *args, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 300, result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_workers_share_the_folds(tmp_path, cli):
    config = write_config(tmp_path, {**ONE_EPOCH, "train": {**ONE_EPOCH["train"], "epochs": 2}})
    result = cli("cv", config, "--folds", "4", "--workers", "2", "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.stderr
    cv_dir = Path(result.stdout.strip().splitlines()[-1])
    assert "1 more worker(s)" in result.stderr and (cv_dir / "worker-1.log").is_file()
    runs = [json.loads((cv_dir / f"fold-{k}" / "run.json").read_text()) for k in range(1, 5)]
    assert all(run["status"] == "completed" and "resumed" not in run for run in runs)  # each fold trained once
    assert len(json.loads((cv_dir / "cv.json").read_text())["runs"]) == 4
    print("folds per process:", sorted(run["pid"] for run in runs))


def test_a_gan_has_nothing_to_cross_validate(tmp_path, cli):
    result = cli("cv", REPO / "configs" / "digits_gan.yaml", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and "data.split.folds: task gan trains without validation" in result.stderr
    assert not (tmp_path / "runs").exists()
