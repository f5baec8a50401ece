"""The Keras datasets without network, through `dlkit train`: the offline message, and MNIST trained
from a local copy."""

import json

from conftest import TINY, write_config
from helpers.keras_datasets import (
    _cache,
    _mnist,
    no_network,  # noqa: F401 (autouse: no test here reaches the network)
)


def test_offline_without_a_copy_says_where_to_put_it(tmp_path, cli):
    data = {**TINY, "data": {**TINY["data"], "dataset": "mnist"}}
    result = cli("train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs")
    expected = (
        f"cannot download mnist (no network). Put mnist.npz at {_cache(tmp_path) / 'mnist.npz'} "
        "or set data.options.path"
    )
    assert result.exit_code == 1 and expected in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_mnist_trains_from_a_local_copy(tmp_path, cli):
    path, _ = _mnist(tmp_path, n_train=100, n_test=20)
    data = {
        **TINY,
        "data": {**TINY["data"], "dataset": "mnist", "options": {"path": str(path)}, "split": {"validation": 0.2}},
        "model": {"layers": ["flatten", {"type": "dense", "units": 10, "activation": "softmax"}]},
    }
    result = cli(
        "train", write_config(tmp_path, data), "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1"
    )
    assert result.exit_code == 0, result.stderr
    run = json.loads((tmp_path / "runs" / "latest" / "run.json").read_text())
    assert (run["input"]["kind"], run["input"]["shape"]) == ("image", [28, 28, 1])
    assert run["classes"] == [str(d) for d in range(10)]
    metrics = json.loads((tmp_path / "runs" / "latest" / "metrics.json").read_text())
    assert set(metrics) == {"train", "val", "test", "baselines"} and "accuracy" in metrics["test"]
