"""`train.adversarial`: the batches trained on hold attacked examples where the ratio says, within
eps; a run stopped inside an epoch resumes to the same weights as one left alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import ctrl_c_in_epoch, write_config
from helpers.adversarial import ADVERSARIAL


def test_ctrl_c_inside_an_epoch_then_resume_gives_the_uninterrupted_weights(tmp_path, cli):
    """PGD's random starts come from the seed and the optimizer's step count, which the
    checkpoint holds: stopped in epoch 2 and resumed, the run ends where one left alone ends."""
    from dlkit.config import load_config
    from dlkit.core.errors import Interrupted
    from dlkit.training.trainer import train

    path = write_config(tmp_path, ADVERSARIAL)
    with pytest.raises(Interrupted) as stopped:
        train(load_config(path), runs_dir=tmp_path / "stopped", callbacks=[ctrl_c_in_epoch(1)])
    run_dir = stopped.value.run_dir
    resumed = cli("train", "--resume", run_dir, "-q")
    assert resumed.exit_code == 0, resumed.stderr
    assert "continuing epoch 2 after batch 8" in resumed.stderr
    alone = cli("train", path, "--runs-dir", tmp_path / "alone", "-q")
    assert alone.exit_code == 0, alone.stderr
    alone_dir = Path(alone.stdout.strip().splitlines()[-1])
    assert (run_dir / "history.csv").read_text() == (alone_dir / "history.csv").read_text()
    assert json.loads((run_dir / "metrics.json").read_text()) == json.loads((alone_dir / "metrics.json").read_text())
    from dlkit.model.saved import load_run_model

    for a, b in zip(load_run_model(run_dir).get_weights(), load_run_model(alone_dir).get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_a_text_run_is_refused_before_its_folder_exists(tmp_path, cli):
    from helpers.text import reviews, text_config

    texts, labels = reviews(40)
    lines = ["text,label"] + [f'"{t}",{label}' for t, label in zip(texts, labels, strict=True)]
    (tmp_path / "reviews.csv").write_text("\n".join(lines) + "\n")
    config = text_config("text_csv", {"path": str(tmp_path / "reviews.csv")})
    config["train"]["adversarial"] = {"method": "fgsm"}
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "dlkit: error: train.adversarial: cannot attack text_csv: its inputs are text (token ids are not continuous)"
    )
    assert not (tmp_path / "runs").exists()
