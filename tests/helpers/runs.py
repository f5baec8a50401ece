"""How the session's shared runs are trained (conftest's session fixtures call these once each):
tiny runs of each task that the eval, predict, export, serve and attack tests read instead of
training runs of their own. A test that writes into one (`dlkit eval`, `dlkit export`) copies it
first (`copy_run`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from conftest import write_config


def train(folder: Path, config: dict, *options: str) -> Path:
    """`dlkit train CONFIG -q` in this process; the run folder it made."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    path = write_config(folder, config)
    result = CliRunner().invoke(app, ["train", str(path), "--runs-dir", str(folder / "runs"), "-q", *options])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[-1])


def copy_run(run: Path, folder: Path) -> Path:
    """A copy of the run folder `run` in `folder` (made if missing), for a test that writes into it."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(run, Path(folder) / run.name, symlinks=True))


def table_run(folder: Path) -> Path:
    """A classification of `bought` on a table of 500 rows with blanks and a city and a shop id as
    categories (`_table`), 4 epochs."""
    _table(500).to_csv(folder / "table.csv", index=False)
    config = _table_config(folder / "table.csv", "bought", "classification", {"categorical": ["city", "shop"]})
    return train(folder, config)


def regression_run(folder: Path) -> Path:
    """A regression of `score` on the numbers of the same table (blanks in them), 4 epochs."""
    _table(500).drop(columns=["city", "shop", "bought"]).to_csv(folder / "numbers.csv", index=False)
    return train(folder, _table_config(folder / "numbers.csv", "score", "regression", {}))


def text_run(folder: Path) -> Path:
    """Reviews (with commas and quotes) in a CSV of id, review and sentiment, 2 epochs."""
    from helpers.predict_forms import _csv, _reviews

    data = _csv(folder / "reviews.csv", _reviews(80, seed=0))
    config = {
        "name": "reviews",
        "seed": 1,
        "task": "classification",
        "data": {"dataset": "text_csv", "batch_size": 16,
                 "options": {"path": str(data), "text_column": "review", "target": "sentiment",
                             "sequence_length": 12, "max_tokens": 60}},
        "model": {"layers": [{"type": "embedding", "input_dim": 60, "output_dim": 8}, "global_average_pooling1d",
                             {"type": "dense", "units": 2, "activation": "softmax"}]},
        "train": {"epochs": 2, "optimizer": {"type": "adam", "learning_rate": 0.05}},
    }  # fmt: skip
    return train(folder, config)


def shapes_run(folder: Path) -> dict[str, Path]:
    """`dlkit make-data shapes-segmentation` and a run trained on it for 1 epoch (with paired
    augmentation): {"data": its folder, "run": the run folder}."""
    from typer.testing import CliRunner

    from dlkit.cli import app
    from helpers.segmentation import CLASSES, seg_config

    data = folder / "shapes"
    result = CliRunner().invoke(app, ["make-data", "shapes-segmentation", str(data), "--n", "40", "--size", "32"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(data)
    options = {"path": str(data), "image_size": [24, 24], "classes": CLASSES}
    options["augment"] = {"flip": ["horizontal"], "zoom": 1.3}
    return {"data": data, "run": train(folder, seg_config(data, data={"options": options}))}


def gan_run(folder: Path) -> Path:
    """A tiny generator and discriminator on the embedded digits, 2 epochs."""
    from helpers.gan import TINY_GAN

    return train(folder, TINY_GAN)


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """Incomes and ages with blanks, a city (text) and a shop id (integers) as categories, a
    yes/no target and a numeric score."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 15, n).round(2),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "shop": rng.integers(1, 20, n),
        }
    )
    nice = (frame.city == "nice") * 20
    frame["bought"] = np.where(frame.income + nice + rng.normal(0, 5, n) > 60, "yes", "no")
    frame["score"] = (frame.income * 0.5 + frame.age * 0.2 + rng.normal(0, 1, n)).round(3)
    frame.loc[rng.choice(n, 30, replace=False), "income"] = np.nan
    frame.loc[rng.choice(n, 20, replace=False), "city"] = None
    return frame


def _table_config(path, target, task, columns):
    return {
        "name": f"{task}_table",
        "seed": 3,
        "task": task,
        "data": {"dataset": "csv", "options": {"path": str(path), "target": target, "missing": "mean", **columns},
                 "split": {"validation": 0.15, "test": 0.2}},
        "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"},
                             {"type": "dense", "units": 2 if task == "classification" else 1,
                              "activation": "softmax" if task == "classification" else None}]},
        "train": {"epochs": 4, "optimizer": {"type": "adam", "learning_rate": 0.01}},
    }  # fmt: skip
