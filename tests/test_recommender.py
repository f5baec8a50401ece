"""Table columns as graph inputs (`inputs: [columns.NAME]`) and configs/recommender.yaml, the
two-tower model they make possible, against the baselines a recommender must beat."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, TINY, write_config


def make_ratings(folder: Path, users=300, items=200, per_user=40, factors=4, seed=0) -> tuple[Path, Path]:
    """Train and test CSVs (80/20) of user_id,item_id,rating with integer ids from 1: 3.5 + a user
    bias + an item bias + the dot product of 4 latent factors each + noise of std 0.3."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, 0.6, (users, factors)), rng.normal(0, 0.6, (items, factors))
    user_bias, item_bias = rng.normal(0, 0.5, users), rng.normal(0, 0.5, items)
    user = np.repeat(np.arange(users), per_user)
    item = np.concatenate([rng.choice(items, per_user, replace=False) for _ in range(users)])
    rating = 3.5 + user_bias[user] + item_bias[item] + (u[user] * v[item]).sum(1) + rng.normal(0, 0.3, len(user))
    frame = pd.DataFrame({"user_id": user + 1, "item_id": item + 1, "rating": rating.round(2)})
    frame = frame.iloc[rng.permutation(len(frame))]
    cut = int(0.8 * len(frame))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ratings.csv", folder / "ratings_test.csv"
    frame.iloc[:cut].to_csv(paths[0], index=False)
    frame.iloc[cut:].to_csv(paths[1], index=False)
    return paths


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


def _table(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "y": rng.normal(0, 1, n),
        }
    )
    frame.to_csv(folder / "table.csv", index=False)
    return folder / "table.csv"


def _table_config(folder: Path, layers: list, **options) -> Path:
    data = {"dataset": "csv", "options": {"path": str(_table(folder)), "target": "y", **options}}
    return write_config(folder, {**TINY, "task": "regression", "data": data, "model": {"layers": layers}})


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


@pytest.mark.parametrize(
    "inputs, message",
    [
        (["columns.citi"], "model.layers.0.inputs.0: no column 'columns.citi'; did you mean 'columns.city'?"),
        (["columns.y"], "model.layers.0.inputs.0: no column 'columns.y'; did you mean"),  # the target is no input
    ],
)
def test_a_column_that_is_not_an_input_is_named(inputs, message, tmp_path, cli):
    config = _table_config(tmp_path, [{"type": "dense", "units": 1, "inputs": inputs}])
    result = cli("validate", config, "--dry-run")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_columns_of_data_that_is_no_table(tmp_path, cli):
    layers = [{"type": "flatten", "inputs": ["columns.pixel"]}, {"type": "dense", "units": 10, "activation": "softmax"}]
    result = cli("validate", write_config(tmp_path, {**TINY, "model": {"layers": layers}}), "--dry-run")
    assert result.exit_code == 2
    assert "model.layers.0.inputs.0: no column 'columns.pixel'; the data is not a table" in result.stderr


def test_a_layer_cannot_take_a_column_name(tmp_path, cli):
    layers = [{"type": "dense", "units": 1, "name": "columns.age"}]
    result = cli("validate", _table_config(tmp_path, layers))
    assert result.exit_code == 2 and "model.layers.0.name: columns.NAME stands for a table's column" in result.stderr


def test_validate_checks_columns_against_the_header_without_building(tmp_path, cli):
    """Plain `validate` (no TensorFlow) reads the CSV's header: the misspelt column, file and line."""
    config = _table_config(tmp_path, [{"type": "dense", "units": 1, "inputs": ["columns.age", "columns.citty"]}])
    result = cli("validate", config)
    assert result.exit_code == 2
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if "columns.citty" in text)
    expected = f"{config}:{line}: model.layers.0.inputs.1: no column 'columns.citty'; did you mean 'columns.city'?"
    assert expected in result.stderr, result.stderr
