"""User plug-ins: the worked examples of docs/extending.md run as written, a run folder keeps its
plug-ins (and predicts from a copy elsewhere), and what goes wrong is one line."""

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from conftest import TINY, write_config
from helpers.plugins import doc_files


def _run_dir(result) -> Path:
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _digit(path: Path, index: int = 3) -> Path:
    from sklearn.datasets import load_digits

    Image.fromarray(np.round(load_digits().images[index] * 255 / 16).astype("uint8")).save(path)
    return path


def test_the_layer_example_trains_and_its_run_predicts_from_a_copy(tmp_path, cli):
    files = doc_files(tmp_path)
    run = _run_dir(
        cli("train", files["se_digits.yaml"], "--set", "train.epochs=2", "--runs-dir", tmp_path / "runs", "-q")
    )
    info = json.loads((run / "run.json").read_text())
    assert info["plugins"][0]["file"] == "plugins/se_block.py" and (run / "plugins" / "se_block.py").is_file()
    assert "plugins/se_block.py" in (run / "config.yaml").read_text()

    elsewhere = tmp_path / "elsewhere" / "run"
    shutil.copytree(run, elsewhere)
    files["se_block.py"].unlink()  # only the run folder's copy is left
    result = cli("predict", _digit(tmp_path / "d.png"), "--run", elsewhere, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["predictions"][0]["label"] in [str(d) for d in range(10)]

    (elsewhere / "plugins" / "se_block.py").write_text("# changed\n")
    changed = cli("predict", tmp_path / "d.png", "--run", elsewhere)
    assert changed.exit_code == 2 and "changed since the run was trained" in changed.stderr
    assert len(changed.stderr.strip().splitlines()) == 1


def test_the_task_example_trains_evaluates_and_predicts(tmp_path, cli):
    files = doc_files(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3)).astype("float32")
    y = rng.poisson(np.exp(0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.7)).astype("float32")
    np.savez(tmp_path / "visits.npz", x_train=x[:500], y_train=y[:500], x_test=x[500:], y_test=y[500:])
    config = files["counts.yaml"]
    listed = cli("list", "tasks", "--plugin", files["counts.py"])
    assert listed.exit_code == 0 and "counts" in listed.stdout

    run = _run_dir(
        cli(
            "train",
            config,
            "--runs-dir",
            tmp_path / "runs",
            "-q",
            "--set",
            f"data.options.path={tmp_path / 'visits.npz'}",
        )
    )
    test = json.loads((run / "metrics.json").read_text())["test"]
    baseline = float(np.abs(y[500:] - y[:500].mean()).mean())
    assert test["mae"] < 0.9 * baseline  # it learned the rate, not just the mean
    assert "poisson" in (run / "config.yaml").read_text()

    np.savetxt(tmp_path / "rows.csv", x[500:505], delimiter=",", header="a,b,c", comments="")
    rows = json.loads(cli("predict", tmp_path / "rows.csv", "--run", run, "--json").stdout)["predictions"]
    assert all(row["count"] == int(row["value"]) and row["value"] > 0 for row in rows)
    assert cli("eval", run).exit_code == 0
    table = cli("runs", tmp_path / "runs")
    assert "mae" in table.stdout


def test_a_class_a_plugin_did_not_register_is_refused_at_load(tmp_path, cli):
    (tmp_path / "doubler.py").write_text(
        "import keras\nfrom dlkit.layers import LAYERS, LayerSpec\n\n\n"
        "class Doubler(keras.layers.Layer):  # not registered with Keras\n"
        "    def call(self, x):\n        return 2 * x\n\n\n"
        "@LAYERS.register('unregistered_doubler')\n"
        "class DoublerSpec(LayerSpec):\n    def build(self):\n        return Doubler(name=self.name)\n"
    )
    layers = [{"type": "unregistered_doubler"}, "flatten", {"type": "dense", "units": 10, "activation": "softmax"}]
    data = {**TINY, "plugins": ["doubler.py"], "model": {"layers": layers}, "train": {**TINY["train"], "epochs": 1}}
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1 and "refused to load" in result.stderr and "Traceback" not in result.stderr


def test_resume_and_extend_take_the_runs_plugin(tmp_path, cli):
    files = doc_files(tmp_path)
    run = _run_dir(
        cli("train", files["se_digits.yaml"], "--set", "train.epochs=1", "--runs-dir", tmp_path / "runs", "-q")
    )
    files["se_block.py"].unlink()
    extended = _run_dir(cli("train", "--resume", run, "--extend-epochs", 1, "-q"))
    assert extended != run and (extended / "plugins" / "se_block.py").is_file()
    assert "plugins/se_block.py" in (extended / "config.yaml").read_text()
