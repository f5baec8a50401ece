"""`dlkit compare`, `dlkit runs --sort/--filter` and `dlkit reproduce`, on real run folders."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO, TINY, write_config
from dlkit.commands.reproduce import compare_runs


def _copy(run: Path, target: Path, *, test_accuracy=None, epochs=None, dataset=None) -> Path:
    """A copy of a finished run folder with some of its figures or config keys changed."""
    shutil.copytree(run, target)
    if test_accuracy is not None:
        metrics = json.loads((target / "metrics.json").read_text())
        metrics["test"]["accuracy"] = test_accuracy
        (target / "metrics.json").write_text(json.dumps(metrics))
    if epochs is not None:
        config = yaml.safe_load((target / "config.yaml").read_text())
        config["train"]["epochs"] = epochs
        (target / "config.yaml").write_text(yaml.safe_dump(config))
    if dataset is not None:
        info = json.loads((target / "run.json").read_text())
        (target / "run.json").write_text(json.dumps(info | {"dataset": dataset}))
    return target


def _last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_compare_two_runs(tmp_path, cli, trained_run):
    run, _ = trained_run
    config = write_config(tmp_path, TINY | {"train": TINY["train"] | {"epochs": 1}})
    trained = cli("train", config, "--runs-dir", tmp_path / "runs", "-q", "--set", "model.layers.0.filters=4")
    assert trained.exit_code == 0, trained.stderr
    other = Path(_last_line(trained))
    png = tmp_path / "out" / "curves.png"
    result = cli("compare", run, other, "--out", png, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["config"]) == {"train.epochs", "model.layers.0.filters"}
    assert report["config"]["train.epochs"] == {run.name: 2, other.name: 1}
    first, second = (json.loads((r / "metrics.json").read_text()) for r in (run, other))
    loss, accuracy = report["metrics"]["test"]["loss"], report["metrics"]["test"]["accuracy"]
    assert loss["direction"] == "down" and accuracy["direction"] == "up"
    assert loss["values"] == {run.name: first["test"]["loss"], other.name: second["test"]["loss"]}
    lower = min((first["test"]["loss"], run.name), (second["test"]["loss"], other.name))[1]
    higher = max((first["test"]["accuracy"], run.name), (second["test"]["accuracy"], other.name))[1]
    assert loss["best"] == [lower] and higher in accuracy["best"]
    assert png.stat().st_size > 10_000 and report["curves"] == str(png)
    assert json.loads((tmp_path / "out" / "curves.json").read_text()) == report
    shown = cli("compare", run, other, "--out", png)
    assert shown.exit_code == 0 and _last_line(shown) == str(png)
    assert "model.layers.0.filters" in shown.stdout and " *" in shown.stdout


def test_compare_loads_no_tensorflow(tmp_path, trained_run):
    """It reads files only: a comparison takes a moment, not TensorFlow's start-up."""
    run, _ = trained_run
    statement = (
        "import sys; from typer.testing import CliRunner; from dlkit.cli import app; "
        f"r = CliRunner().invoke(app, ['compare', {str(run)!r}, {str(run)!r}, '--out', {str(tmp_path / 'c.png')!r}]); "
        "assert r.exit_code == 0, r.output; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_a_folder_of_runs_stands_for_them(tmp_path, cli, trained_run):
    """A study's trial-NNN/ (or a cv's fold-K/): the folder names its runs."""
    run, _ = trained_run
    study = tmp_path / "tiny-tune-20260101-000000"
    study.mkdir()
    (study / "tune.json").write_text("{}")
    _copy(run, study / "trial-000")
    _copy(run, study / "trial-001", test_accuracy=0.5, epochs=9)
    result = cli("compare", study, "--json", "--out", tmp_path / "c.png")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    labels = [r["label"] for r in report["runs"]]
    assert labels == ["trial-000", "trial-001"]
    assert report["config"] == {"train.epochs": dict(zip(labels, [2, 9], strict=True))}
    assert report["metrics"]["test"]["accuracy"]["best"] == labels[:1]
    beside = json.loads(cli("compare", study, run, "--json", "--out", tmp_path / "c.png").stdout)
    assert [r["label"] for r in beside["runs"]] == [f"{study.name}/trial-000", f"{study.name}/trial-001", run.name]


@pytest.mark.slow
def test_compare_a_tune_study(tmp_path, cli):
    """A real study folder: its trials are compared, the tuned key is the one that differs."""
    space = {"train.optimizer.learning_rate": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}}
    tune = {"trials": 2, "sampler": "random", "space": space}
    config = write_config(tmp_path, TINY | {"train": TINY["train"] | {"epochs": 1}, "tune": tune})
    study = cli("tune", config, "--runs-dir", tmp_path / "runs", "-q")
    assert study.exit_code == 0, study.stderr
    folder = Path(_last_line(study))
    result = cli("compare", folder, "--json", "--out", tmp_path / "c.png")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [r["label"] for r in report["runs"]] == ["trial-000", "trial-001"]
    assert list(report["config"]) == ["train.optimizer.learning_rate"]
    assert report["curves"] == str(tmp_path / "c.png")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{run}"], "compare needs at least 2 runs"),
        (["{run}", "{empty}"], "neither a run folder (no run.json) nor a folder of runs"),
        (["{run}", "{empty}/nowhere"], "nowhere: no such folder"),
        (["{run}", "{run}", "--out", "{empty}/c.jpg"], "--out: the curves are a PNG"),
    ],
)
def test_compare_bad_input_is_one_line(tmp_path, cli, trained_run, args, message):
    run, _ = trained_run
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no runs here")
    result = cli("compare", *(a.format(run=run, empty=tmp_path / "empty") for a in args))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not list(tmp_path.glob("**/*.png"))


def test_runs_sort_and_filter(tmp_path, cli, trained_run):
    run, _ = trained_run
    root = tmp_path / "runs"
    _copy(run, root / "a-1", test_accuracy=0.7, epochs=3)
    _copy(run, root / "b-1", test_accuracy=0.9, epochs=3, dataset="iris")
    _copy(run, root / "c-1", test_accuracy=0.8, epochs=5)

    def order(*args):  # the run names in the order their rows are printed
        result = cli("runs", root, *args)
        assert result.exit_code == 0, result.stderr
        return [name for line in result.stdout.splitlines() for name in ("a-1", "b-1", "c-1") if f" {name} " in line]

    assert order("--sort", "test.accuracy") == ["b-1", "c-1", "a-1"]  # best first: accuracy is higher-better
    assert order("--sort", "test.loss", "--filter", "train.epochs=3") in (["a-1", "b-1"], ["b-1", "a-1"])
    assert order("--sort", "test.accuracy", "--reverse") == ["a-1", "c-1", "b-1"]
    assert order("--sort", "train.epochs", "--reverse") == ["c-1", "a-1", "b-1"]
    assert order("--filter", "dataset=digits", "--filter", "train.epochs=3") == ["a-1"]
    assert order("--filter", "status=completed") == ["a-1", "b-1", "c-1"]
    assert order("--filter", "train.epochs=4") == []
    assert order("--filter", "train.optimizer.learning_rate=1e-2", "--filter", "train.epochs=5.0") == ["c-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sort", "test.acuracy"], "--sort test.acuracy: no run here has this key; did you mean 'test.accuracy'?"),
        (["--filter", "trian.epochs=3"], "--filter trian.epochs: no run here has this key; did you mean 'train.epochs"),
        (["--sort", "test"], "keys under it: test.accuracy, test.ece, test.f1, test.loss"),
        (["--filter", "dataset"], "--filter: expected KEY=VALUE"),
    ],
)
def test_runs_unknown_key_is_one_line(tmp_path, cli, trained_run, args, message):
    run, _ = trained_run
    _copy(run, tmp_path / "runs" / "a-1")
    result = cli("runs", tmp_path / "runs", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_report_names_what_differs(tmp_path, trained_run):
    """A figure, a version and the dataset's fingerprint that are not the same are each named."""
    run, _ = trained_run
    same = compare_runs(run, _copy(run, tmp_path / "same"))
    assert same["reproduced"] and same["deterministic"] and same["dataset_fingerprint"]["same"]
    assert same["versions_changed"] == {} and all(row["equal"] for row in same["metrics"])
    other = _copy(run, tmp_path / "other", test_accuracy=0.25)
    info = json.loads((other / "run.json").read_text())
    info["versions"]["keras"] = "3.0.0"
    info["dataset_fingerprint"] = "sha256:0000"
    (other / "run.json").write_text(json.dumps(info))
    report = compare_runs(run, other)
    assert not report["reproduced"]
    assert [row["key"] for row in report["metrics"] if not row["equal"]] == ["test.accuracy"]
    row = next(row for row in report["metrics"] if row["key"] == "test.accuracy")
    assert row["reproduced"] == 0.25 and row["difference"] == pytest.approx(0.25 - row["original"])
    assert report["versions_changed"] == {"keras": {"original": info_keras(run), "reproduction": "3.0.0"}}
    assert report["dataset_fingerprint"]["reproduction"] == "sha256:0000" and not report["dataset_fingerprint"]["same"]


def test_reproduce_needs_a_finished_run(tmp_path, cli, trained_run):
    run, _ = trained_run
    unfinished = _copy(run, tmp_path / "runs" / "tiny-1")
    (unfinished / "metrics.json").unlink()
    result = cli("reproduce", unfinished)
    assert result.exit_code == 2 and "tiny-1: no metrics.json to compare with" in result.stderr
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["tiny-1"]  # no new folder


def info_keras(run: Path) -> str:
    return json.loads((run / "run.json").read_text())["versions"]["keras"]


@pytest.mark.slow
def test_reproduce_gives_identical_metrics(tmp_path, cli, trained_run):
    run, _ = trained_run
    result = cli("reproduce", run, "--runs-dir", tmp_path / "again", "-q")
    assert result.exit_code == 0, result.stderr
    new = Path(_last_line(result))
    assert new.parent == tmp_path / "again"
    assert json.loads((new / "metrics.json").read_text()) == json.loads((run / "metrics.json").read_text())
    report = json.loads((new / "reproduce.json").read_text())
    assert report["reproduced"] and report["original"] == str(run) and len(report["metrics"]) == 18
    assert "reproduced: all 18 figures the same, bit for bit" in result.stderr
    assert json.loads((new / "run.json").read_text())["reproduces"] == str(run)


@pytest.mark.slow
def test_reproduce_names_a_changed_dataset(tmp_path, cli):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(160, 3))
    table = tmp_path / "t.csv"

    def write(x):
        rows = [f"{a:.5f},{b:.5f},{c:.5f},{int(a + b > 0)}" for a, b, c in x]
        table.write_text("a,b,c,label\n" + "\n".join(rows) + "\n")

    write(features)
    config = write_config(tmp_path, {
        "name": "table", "seed": 1, "task": "binary",
        "data": {"dataset": "csv", "options": {"path": str(table), "target": "label"},
                 "split": {"validation": 0.2, "test": 0.2}, "batch_size": 32},
        "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"},
                             {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 2},
    })  # fmt: skip
    trained = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run = Path(_last_line(trained))
    write(features[::-1] * 2)  # the same file, other rows
    result = cli("reproduce", run, "-q")
    assert result.exit_code == 1  # train.deterministic is on by default, and the figures differ
    assert "the dataset changed: fingerprint sha256:" in result.stderr
    assert "dlkit: error: not reproduced (a deterministic run)" in result.stderr
    new = Path(_last_line(result))
    assert new.parent == run.parent  # beside the run by default
    report = json.loads((new / "reproduce.json").read_text())
    assert not report["dataset_fingerprint"]["same"] and not report["reproduced"]
    original = json.loads((run / "run.json").read_text())["dataset_fingerprint"]
    assert report["dataset_fingerprint"]["original"] == original


@pytest.mark.slow
def test_reproduce_without_determinism_reports_and_exits_0(tmp_path, cli):
    config = write_config(tmp_path, TINY | {"train": TINY["train"] | {"epochs": 1, "deterministic": False}})
    trained = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    result = cli("reproduce", _last_line(trained), "-q")
    assert result.exit_code == 0, result.stderr
    report = json.loads((Path(_last_line(result)) / "reproduce.json").read_text())
    assert report["deterministic"] is False and len(report["metrics"]) == 18
    if not report["reproduced"]:  # figures may or may not differ without determinism: either way no error
        assert "not reproduced (train.deterministic was off)" in result.stderr
        assert "dlkit: error" not in result.stderr


@pytest.mark.slow
def test_reproduce_uses_the_runs_plugin_copies(tmp_path, cli):
    from helpers.plugins import doc_files

    files = doc_files(tmp_path)
    trained = cli("train", files["se_digits.yaml"], "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.stderr
    run = Path(_last_line(trained))
    files["se_block.py"].unlink()  # only the run folder's copy is left
    result = cli("reproduce", run, "-q")
    assert result.exit_code == 0, result.stderr
    new = Path(_last_line(result))
    assert (new / "plugins" / "se_block.py").read_text() == (run / "plugins" / "se_block.py").read_text()
    assert json.loads((new / "metrics.json").read_text()) == json.loads((run / "metrics.json").read_text())
