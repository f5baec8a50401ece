"""The ensemble layers as config entries: `tabm` and `ensemble_head` in `model.layers`, refused in one
line at their key (exit 2) when their arguments cannot make an ensemble, the head checked as a last
dense layer is, and the dry run counting TabM's parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from conftest import REPO, write_config

TABM = {"type": "tabm", "units": [16, 8], "k": 4}
HEAD = {"type": "ensemble_head", "units": 1}


def _table(tmp_path, rows: int = 40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 3)).round(3)
    lines = [f"{a},{b},{c},{int(a + b > 0)},{a - 2 * c:.3f}" for a, b, c in x]
    (tmp_path / "t.csv").write_text("a,b,c,label,value\n" + "\n".join(lines) + "\n")
    return tmp_path / "t.csv"


def _config(tmp_path, layers, task="regression"):
    target = "value" if task == "regression" else "label"
    options = {"path": str(_table(tmp_path)), "target": target}
    if task == "regression":
        options["drop"] = ["label"]
    else:
        options["drop"] = ["value"]
    data = {"dataset": "csv", "options": options, "split": {"validation": 0.2, "test": 0.2}}
    return write_config(tmp_path, {"name": "ens", "task": task, "data": data, "model": {"layers": layers}})


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([{**TABM, "k": 0}, HEAD], "model.layers.0.k: Input should be greater than"),
        ([{**TABM, "units": []}, HEAD], "model.layers.0.units: List should have at least 1"),
        ([{**TABM, "dropout": 1}, HEAD], "model.layers.0.dropout: Input should be less than 1"),
        ([{**TABM, "adapters": "half"}, HEAD], "model.layers.0.adapters: Input should be 'full' or 'mini'"),
        ([TABM, {**HEAD, "units": 0}], "model.layers.1.units: Input should be greater than"),
        (
            [TABM, HEAD, {"type": "dense", "units": 1}],
            "model.layers.1.type: ensemble_head gives each ensemble member's outputs in training, so it must be",
        ),
        ([TABM, {**HEAD, "units": 2}], "model.layers.1.units: 2 units, but"),
    ],
)
def test_bad_arguments_are_one_line_at_their_key(tmp_path, cli, layers, message):
    result = cli("validate", _config(tmp_path, layers))
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_head_is_checked_as_a_last_dense_layer(tmp_path, cli):
    layers = [TABM, {**HEAD, "activation": "softmax"}]
    result = cli("validate", _config(tmp_path, layers, task="binary"))
    assert result.exit_code == 2 and "model.layers.1.activation: softmax over 1 unit always gives 1.0" in result.stderr


def test_a_plain_layer_cannot_feed_the_head(tmp_path, cli):
    layers = [{"type": "dense", "units": 4}, HEAD]
    result = cli("validate", _config(tmp_path, layers), "--dry-run")
    assert result.exit_code == 2, result.stderr
    expected = "model.layers.1 (ensemble_head): EnsembleHead takes each member's features, (batch, k, features)"
    assert expected in result.stderr


def test_the_dry_run_counts_tabms_parameters(tmp_path, cli):
    layers = [TABM, {**HEAD, "member_loss": False}]
    result = cli("validate", _config(tmp_path, layers), "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    shared = 3 * 16 + 16 * 8
    members = 4 * ((3 + 16 + 16) + (16 + 8 + 8))  # r, s and bias of each layer
    head = 4 * (8 + 1)
    assert json.loads(result.stdout)["trainable_params"] == shared + members + head
    assert json.loads(result.stdout)["output_shape"][-1] == 1


def test_a_gan_refuses_members_trained_on_their_own_losses(tmp_path, cli):
    config = yaml.safe_load((REPO / "configs" / "digits_gan.yaml").read_text())
    config["model"]["discriminator"]["layers"][-2:] = [TABM, HEAD]
    result = cli("validate", write_config(tmp_path, config))
    assert result.exit_code == 2 and "model.discriminator.layers.6.member_loss: task gan trains" in result.stderr
