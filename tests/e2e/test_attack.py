"""`dlkit attack`: FGSM and PGD through the model's preprocessing, checked against the
Adversarial Robustness Toolbox on the same model and examples; tables and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import write_config


def _test_split(run):
    from dlkit.config.loader import load_run_config
    from dlkit.engine.prepare import prepare_data
    from dlkit.model.saved import load_run_model

    config = load_run_config(run)
    return load_run_model(run), prepare_data(config).splits.test


def _art_accuracy(model, x, y, attack_class, **arguments) -> int:
    """How many of the examples the model still gets right after ART's attack (true labels as y)."""
    import keras
    from art.estimators.classification import TensorFlowV2Classifier

    classifier = TensorFlowV2Classifier(
        model,
        nb_classes=10,
        input_shape=x.shape[1:],
        loss_object=keras.losses.SparseCategoricalCrossentropy(),
        clip_values=(0, 255),
    )
    adversarial = attack_class(classifier, **arguments).generate(x.astype("float32"), y=y)
    return int(np.sum(np.argmax(model.predict(adversarial, verbose=0), axis=-1) == y))


def test_fgsm_matches_art(trained_run, cli):
    """The same model, the same examples, eps 0.1 of 255: as many right after our FGSM as after ART's."""
    from art.attacks.evasion import FastGradientMethod

    run, _ = trained_run
    result = cli("attack", run, "--method", "fgsm", "--eps", "0.1", "-n", "100000")
    assert result.exit_code == 0, result.output
    report = json.loads((run / "eval" / "attack.json").read_text())
    model, test = _test_split(run)
    ours = report["attacks"][0]["correct"]
    assert report["n"] == len(test) and report["method"] == "fgsm"
    assert ours == _art_accuracy(model, test.x, test.y, FastGradientMethod, eps=0.1 * 255, batch_size=128)
    assert ours < report["clean"]["correct"]  # the attack does something


def test_pgd_without_random_start_matches_art(trained_run):
    """PGD from the example itself (ART: num_random_init=0), same eps step and steps: equal to within
    one example (float rounding of the projection may differ). With a random start the two draw
    different noise, so they cannot agree example by example."""
    from art.attacks.evasion import ProjectedGradientDescent

    from dlkit.attack.run import attack_run
    from dlkit.core.registries import ATTACKS

    run, _ = trained_run
    spec = ATTACKS.get("pgd")(steps=10, random_start=False)
    report = attack_run(run, spec, [0.1], n=100000, split="test", seed=0).report
    model, test = _test_split(run)
    art = _art_accuracy(
        model, test.x, test.y, ProjectedGradientDescent,
        eps=0.1 * 255, eps_step=0.25 * 0.1 * 255, max_iter=10, num_random_init=0, batch_size=128, verbose=False,
    )  # fmt: skip
    assert abs(report["attacks"][0]["correct"] - art) <= 1
    assert report["step_size"] == 0.25 and report["random_start"] is False


def test_pgd_writes_its_report_plots_and_is_seeded(trained_run, cli):
    run, _ = trained_run
    args = ("attack", run, "--eps", "0.05,0.2", "--steps", "5", "-n", "50", "--seed", "3")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().splitlines()[-1] == str(run / "eval")
    report = json.loads((run / "eval" / "attack.json").read_text())
    assert report["method"] == "pgd" and report["steps"] == 5 and report["n"] == 50 and report["seed"] == 3
    assert [row["eps"] for row in report["attacks"]] == [0.05, 0.2]
    assert report["attacks"][1]["correct"] <= report["attacks"][0]["correct"] <= report["clean"]["correct"]
    assert "0 (clean)" in first.stdout and "0.2" in first.stdout
    for name in ("attack.png", "attack_examples.png"):
        assert (run / "eval" / name).stat().st_size > 1000
    assert cli(*args).exit_code == 0
    assert json.loads((run / "eval" / "attack.json").read_text()) == report  # same seed, same figures


@pytest.mark.parametrize(
    "args, message",
    [
        (("--method", "deepfool"), "unknown attack 'deepfool'; valid: fgsm, pgd"),
        (("--eps", "0.1,big"), "--eps: 'big' is not a number"),
        (("--eps", "0"), r"--eps: each value must be in \(0, 1\]"),
        (("--eps", "1.5"), r"--eps: each value must be in \(0, 1\]"),
        (("--eps", "nan"), r"--eps: each value must be in \(0, 1\]"),
        (("--steps", "0"), "--steps: expected 1 or more"),
        (("--method", "fgsm", "--steps", "5"), "--steps: fgsm takes no steps .*--steps goes with --method pgd"),
        (("-n", "0"), "-n: expected 1 or more"),
        (("--split", "dev"), "--split: expected train, val or test"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(trained_run, cli, args, message):
    import re

    run, _ = trained_run
    result = cli("attack", run, *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.stderr


def _table(path, rows=160, seed=0):
    """Two numeric columns (one with blank cells), a categorical one; the class follows x + y."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(5, 2, rows), rng.normal(-3, 0.5, rows)
    colour = rng.choice(["red", "blue"], rows)
    target = np.where(x - 5 + 4 * (y + 3) > 0, "yes", "no")
    lines = ["x,y,colour,target"]
    for i in range(rows):
        cell = "" if i % 10 == 0 else f"{x[i]:.4f}"
        lines.append(f"{cell},{y[i]:.4f},{colour[i]},{target[i]}")
    path.write_text("\n".join(lines) + "\n")


def test_a_table_is_attacked_in_each_columns_scale_within_its_range(tmp_path, cli):
    """Numeric cells move at most eps x the column's training std and stay within its observed
    range; blank cells and the categorical column stay as they are."""
    import tensorflow as tf

    from dlkit.components.attacks import attacker
    from dlkit.components.input_space import input_space
    from dlkit.config.loader import load_run_config
    from dlkit.core.registries import ATTACKS
    from dlkit.engine.prepare import prepare_data
    from dlkit.model.saved import load_run_model

    _table(tmp_path / "rows.csv")
    config = {
        "seed": 1,
        "task": "binary",
        "data": {"dataset": "csv", "options": {"path": str(tmp_path / "rows.csv"), "target": "target",
                                                "missing": "mean"}, "split": {"validation": 0.2, "test": 0.2}},
        "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"},
                             {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 3},
    }  # fmt: skip
    trained = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert trained.exit_code == 0, trained.output
    run = Path(trained.stdout.strip().splitlines()[-1])
    result = cli("attack", run, "--method", "pgd", "--eps", "0.5,1", "--steps", "3")
    assert result.exit_code == 0, result.output
    report = json.loads((run / "eval" / "attack.json").read_text())
    assert report["eps_scale"] == "eps x each feature's training std"
    assert not (run / "eval" / "attack_examples.png").exists()

    data = prepare_data(load_run_config(run))
    model = load_run_model(run)
    space = input_space(data.kind, model, data.splits.train.x)
    assert set(space.scale) == {"x", "y"}  # the categorical column is no input to attack
    spec = ATTACKS.get("pgd")(steps=5)
    attack = attacker(model, spec, tf.keras.losses.BinaryCrossentropy(), space, None)
    test = data.splits.test
    x = {name: tf.constant(column[:, None]) for name, column in test.x.items()}
    labels, eps, seed = tf.constant(test.y[:, None], tf.float32), tf.constant(1.0), tf.constant([0, 0], tf.int64)
    adversarial = {name: np.asarray(column) for name, column in attack(x, labels, eps, seed).items()}
    for name in ("x", "y"):
        train = data.splits.train.x[name]
        before, after = test.x[name], adversarial[name][:, 0]
        blank = np.isnan(before)
        assert np.array_equal(np.isnan(after), blank)
        moved = np.abs(after - before)[~blank]
        assert moved.max() <= np.nanstd(train) * 1.0001 and moved.max() > 0
        assert after[~blank].min() >= np.nanmin(train) - 1e-4 and after[~blank].max() <= np.nanmax(train) + 1e-4
    assert np.array_equal(adversarial["colour"][:, 0].astype(str), test.x["colour"])
