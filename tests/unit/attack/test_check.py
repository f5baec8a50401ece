"""`dlkit attack`'s checks before TensorFlow loads: bad arguments are one line naming the option, and
runs it cannot attack (a regression, a text run) are refused from config.yaml and run.json alone;
all exit 2."""

from __future__ import annotations

import json

import pytest

from conftest import write_config


def _fake_run(folder, config: dict, kind: str):
    """A run folder as far as the refusals read it: config.yaml and run.json."""
    folder.mkdir()
    write_config(folder, config)
    (folder / "run.json").write_text(json.dumps({"status": "completed", "input": {"kind": kind}}))
    return folder


def test_a_regression_run_is_refused(tmp_path, cli):
    layers = [{"type": "dense", "units": 1}]
    config = {"task": "regression", "data": {"dataset": "diabetes"}, "model": {"layers": layers}}
    result = cli("attack", _fake_run(tmp_path / "run", config, "array"))
    assert result.exit_code == 2
    assert "runs of task binary, classification" in result.stderr and "'regression'" in result.stderr
    assert not (tmp_path / "run" / "eval").exists()


def test_a_text_run_is_refused(tmp_path, cli):
    texts = tmp_path / "texts.csv"
    texts.write_text("text,label\ngood,pos\nbad,neg\n")
    config = {
        "data": {"dataset": "text_csv", "options": {"path": str(texts)}},
        "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    }
    result = cli("attack", _fake_run(tmp_path / "run", config, "text"))
    assert result.exit_code == 2, result.output
    assert "token ids are not continuous" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("method", "eps", "steps", "n", "split", "said"),
    [
        ("deepfool", "0.1", None, 10, "test", "--method: unknown attack 'deepfool'"),
        ("fgsm", "0.1", 5, 10, "test", "--steps: fgsm takes no steps (it is one step); --steps goes with --method pgd"),
        ("pgd", "0.1", 0, 10, "test", "--steps: expected 1 or more. Received: 0"),
        ("pgd", "0.1", None, 0, "test", "-n: expected 1 or more examples. Received: 0"),
        ("pgd", "0.1", None, 10, "holdout", "--split: expected train, val or test. Received: 'holdout'"),
        ("pgd", "0.1,big", None, 10, "test", "--eps: 'big' is not a number; e.g. --eps 0.01,0.05,0.1"),
        (
            "pgd",
            "0",
            None,
            10,
            "test",
            "--eps: each value must be in (0, 1], a fraction of the input's scale. Received: 0",
        ),
        ("pgd", "1.5", None, 10, "test", "--eps: each value must be in (0, 1]"),
        ("pgd", "nan", None, 10, "test", "--eps: each value must be in (0, 1]"),
    ],
)
def test_bad_arguments_are_one_line_naming_the_option(method, eps, steps, n, split, said):
    from dlkit.attack.check import check_arguments
    from dlkit.core.errors import UsageError

    with pytest.raises(UsageError) as refused:
        check_arguments(method, eps, steps, n, split)
    assert str(refused.value).startswith(said) and refused.value.exit_code == 2


def test_good_arguments_give_the_attack_and_the_sorted_eps():
    from dlkit.attack.check import check_arguments

    attack, values = check_arguments("pgd", "0.1, 0.05,0.1,1", 7, 10, "val")
    assert attack.type_name == "pgd" and attack.steps == 7 and values == [0.05, 0.1, 1.0]
    attack, values = check_arguments("fgsm", "0.2", None, 1, "train")
    assert attack.type_name == "fgsm" and values == [0.2]
