"""configs/recommender.yaml and table columns as graph inputs, trained: the two-tower model beats the
baselines a recommender must beat, and each column reaches the layer that names it as encoded."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from helpers.recommender import _table_config, make_ratings


def baselines(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Test RMSE of predicting the training ratings' global mean, and each user's mean."""
    user_mean = test["user_id"].map(train.groupby("user_id")["rating"].mean()).fillna(train["rating"].mean())
    return {
        "global_mean": float(np.sqrt(((test["rating"] - train["rating"].mean()) ** 2).mean())),
        "user_mean": float(np.sqrt(((test["rating"] - user_mean) ** 2).mean())),
    }


@pytest.mark.slow
def test_recommender_beats_the_mean_baselines_and_predicts_pairs(tmp_path, cli):
    train_csv, test_csv = make_ratings(tmp_path / "data")
    sets = [f"data.options.path={train_csv}", f"data.options.test_path={test_csv}", "data.split.test=0"]
    result = cli("train", REPO / "configs" / "recommender.yaml", "--runs-dir", tmp_path / "runs", "-q",
                 *[a for s in sets for a in ("--set", s)])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    rmse = json.loads((run_dir / "metrics.json").read_text())["test"]["rmse"]
    train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
    base = baselines(train, test)
    print(f"test RMSE: model {rmse:.3f}, global mean {base['global_mean']:.3f}, user mean {base['user_mean']:.3f}")
    assert rmse < 0.6 < base["user_mean"] < base["global_mean"]

    # predict takes user/item rows; its values are the model's, so they score the test RMSE again
    test[["user_id", "item_id"]].to_csv(tmp_path / "pairs.csv", index=False)
    result = cli("predict", tmp_path / "pairs.csv", "--run", run_dir, "--json")
    assert result.exit_code == 0, result.stderr
    values = np.array([row["value"] for row in json.loads(result.stdout)["predictions"]])
    assert np.sqrt(((values - test["rating"].to_numpy()) ** 2).mean()) == pytest.approx(rmse, abs=1e-3)


def test_each_column_is_a_graph_input_as_encoded(tmp_path, cli):
    """A numeric column standardised (1 wide), a one-hot column (vocabulary + 1 wide), an embedded one."""
    layers = [
        {"type": "dense", "units": 2, "inputs": ["columns.city"], "name": "from_city"},
        {"type": "concatenate", "inputs": ["from_city", "columns.age", "input"], "name": "joined"},
        {"type": "dense", "units": 1},
    ]
    shapes = {}
    for encoding, city_width in (("one_hot", 4), ("embedding", 5)):
        config = _table_config(tmp_path, layers, categorical_encoding=encoding, embedding_dim=5)
        result = cli("validate", config, "--dry-run", "--json")
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        shapes[encoding] = {layer["name"]: layer["output_shape"] for layer in summary["layers"]}
        # from_city: dense(2) on the city column, + age (1) + the whole encoded row (1 + city_width)
        assert shapes[encoding]["joined"] == [2 + 1 + 1 + city_width]
        embedding = 4 * 5 if encoding == "embedding" else 0  # 3 cities + the out-of-vocabulary row
        assert summary["params"] == (city_width + 1) * 2 + (2 + 1 + 1 + city_width + 1) + embedding
    result = cli(
        "train", _table_config(tmp_path, layers), "--runs-dir", tmp_path / "runs", "-q", "--set", "train.epochs=1"
    )
    assert result.exit_code == 0, result.stderr
