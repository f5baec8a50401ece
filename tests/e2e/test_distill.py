"""`train.distill`: the loss is Hinton's mix of the labels and the teacher's softened outputs; the
student's run holds the student alone; a teacher that does not fit, or a task without a softmax
head, is refused in one line before any run folder; a distilled run resumes exactly."""

import csv
import json
import shutil

import keras
import numpy as np
import pytest
import yaml
from PIL import Image
from sklearn.datasets import load_digits

from conftest import TINY, ctrl_c_in_epoch, write_config

#: A linear classifier on the pixels (650 weights), against the TINY teacher's small CNN (5,850).
STUDENT = {
    **TINY,
    "name": "student",
    "model": {"layers": ["flatten", {"type": "dense", "units": 10, "activation": "softmax"}]},
}


def _student(folder, teacher, name="student.yaml", epochs=2, **distill) -> dict:
    data = {**STUDENT, "train": {**STUDENT["train"], "epochs": epochs, "distill": {"teacher": str(teacher), **distill}}}
    return write_config(folder, data, name)


def _run_dir(result):
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a_distilled_student_is_saved_alone_and_evaluates_and_predicts(tmp_path, cli, trained_run):
    teacher, _ = trained_run
    plain = _run_dir(cli("train", write_config(tmp_path, STUDENT, "plain.yaml"), "--runs-dir", tmp_path / "p", "-q"))
    latest = teacher.parent / "latest"
    run_dir = _run_dir(cli("train", _student(tmp_path, latest), "--runs-dir", tmp_path / "runs", "-q"))
    # config.yaml names the teacher's folder, not what `latest` will point to when it is resumed.
    assert yaml.safe_load(open(f"{run_dir}/config.yaml"))["train"]["distill"]["teacher"] == str(teacher.resolve())

    for path in ("model.keras", "checkpoints/last.keras", "checkpoints/best.keras"):
        model = keras.saving.load_model(f"{run_dir}/{path}", safe_mode=True)
        assert model.count_params() == 650, path  # the student's weights, none of the teacher's
    assert keras.saving.load_model(f"{teacher}/model.keras").count_params() != 650

    history, alone = (list(csv.DictReader(open(f"{d}/history.csv"))) for d in (run_dir, plain))
    assert history[0]["loss"] != alone[0]["loss"]  # the teacher's term is in the training loss
    # Validation scores the labels only: the best epoch's val_loss is metrics.json's (the saved model's).
    metrics = json.loads(open(f"{run_dir}/metrics.json").read())
    assert float(history[-1]["val_loss"]) == pytest.approx(metrics["val"]["loss"], rel=1e-4)

    evaluated = cli("eval", run_dir)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert json.loads(open(f"{run_dir}/eval/metrics.json").read())["test"] == metrics["test"]
    digits = load_digits()
    Image.fromarray(np.round(digits.images[0] * 255 / 16).astype("uint8"), "L").save(tmp_path / "zero.png")
    predicted = cli("predict", tmp_path / "zero.png", "--run", run_dir, "--json")
    assert predicted.exit_code == 0, predicted.stderr
    assert len(json.loads(predicted.stdout)["predictions"]) == 1


def _edited_teacher(tmp_path, teacher, **fields):
    copy = tmp_path / "teacher"
    shutil.copytree(teacher, copy)
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, **fields}))
    return copy


@pytest.mark.parametrize(
    "fields, message",
    [
        (None, "no such run folder"),
        ({"status": "failed"}, "is not a completed run (status: failed)"),
        ({"task": "binary"}, "does not fit this config: its task binary, this config's classification"),
        ({"classes": ["0", "1", "2"]}, "its classes ['0', '1', '2'], this config's ['0', '1', '2', '3', '4', '5',"),
        (
            {"input": {"kind": "image", "shape": [28, 28, 1], "features": None}},
            "its input ['image', [28, 28, 1], None], this config's ['image', [8, 8, 1], None]",
        ),
    ],
)
def test_a_teacher_that_does_not_fit_is_refused_before_the_run_folder(tmp_path, cli, trained_run, fields, message):
    teacher = tmp_path / "nowhere" if fields is None else _edited_teacher(tmp_path, trained_run[0], **fields)
    result = cli("train", _student(tmp_path, teacher), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 2
    assert result.stderr.startswith("dlkit: error: train.distill.teacher: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300
    assert not (tmp_path / "runs").exists()


def test_a_teacher_that_trained_on_the_students_test_examples_is_refused(tmp_path, cli, trained_run):
    """The same digits split with another seed: the teacher trained on some of the student's test
    images. With the teacher's seed (the other tests) it is accepted."""
    result = cli("train", _student(tmp_path, trained_run[0]), "--set", "seed=8", "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert "trained on some of this config's test examples (its split: seed 7, test 0.2; this config's: seed 8" in (
        result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 300
    assert not (tmp_path / "runs").exists()


def test_a_datasets_own_test_split_takes_a_teacher_of_any_seed(tmp_path, cli):
    images = np.round(load_digits().images * 255 / 16).astype("uint8")
    labels = load_digits().target
    npz = tmp_path / "d.npz"
    np.savez(npz, x_train=images[:1400], y_train=labels[:1400], x_test=images[1400:], y_test=labels[1400:])
    data = {**STUDENT["data"], "dataset": "npz", "options": {"path": str(npz)}}
    teacher_config = write_config(tmp_path, {**STUDENT, "data": data, "train": {"epochs": 1}}, "teacher.yaml")
    teacher = _run_dir(cli("train", teacher_config, "--runs-dir", tmp_path / "t", "-q"))
    student = yaml.safe_load(_student(tmp_path, teacher, epochs=1).read_text())
    assert _run_dir(cli("train", write_config(tmp_path, {**student, "data": data, "seed": 8}), "--runs-dir", tmp_path))


def test_distillation_is_refused_without_a_softmax_head_and_checks_its_keys(tmp_path, cli):
    regression = {
        "name": "r",
        "task": "regression",
        "data": {"dataset": "diabetes"},
        "model": {"layers": [{"type": "dense", "units": 1}]},
        "train": {"distill": {"teacher": "runs/x"}},
    }
    result = cli("train", write_config(tmp_path, regression), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and "train.distill: distillation learns from the teacher's class" in result.stderr
    assert "task classification only (task is 'regression')" in result.stderr
    result = cli("validate", _student(tmp_path, "runs/x", alpha=1.5))
    assert result.exit_code == 2 and "train.distill.alpha: Input should be less than or equal to 1" in result.stderr
    result = cli("validate", _student(tmp_path, "runs/x", temprature=2))
    assert result.exit_code == 2
    assert "train.distill.temprature: unknown key; did you mean 'temperature'?" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_a_distilled_run_stopped_mid_epoch_resumes_to_the_same_history(tmp_path, cli, trained_run):
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.resume import resume
    from dlkit.training.trainer import train

    path = _student(tmp_path, trained_run[0], epochs=3)
    with pytest.raises(Interrupted) as stopped:
        train(load_config(path), runs_dir=tmp_path / "runs", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    assert resume(run_dir) == run_dir
    alone = _run_dir(cli("train", path, "--runs-dir", tmp_path / "alone", "-q"))
    assert (run_dir / "history.csv").read_text() == open(f"{alone}/history.csv").read()
    assert (run_dir / "metrics.json").read_text() == open(f"{alone}/metrics.json").read()
