"""The csv table's encoders: every numeric column embedded (`numeric_encoding`), bin edges from the
training split, categorical embeddings sized by cardinality (`embedding_dim: auto`)."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import write_config
from dlkit.config.loader import parse_config
from dlkit.core.registries import DATASETS
from dlkit.data.table_encoders import NUMERIC_EMBEDDING, embedding_width
from dlkit.engine.prepare import prepare_data
from helpers.numeric_table import numeric_config, numeric_table

NUMERIC = ["x", "z", "k", "flat"]


def encoded(tmp_path, **options):
    """(the training split's columns, a model from the raw columns to `features`, the column sources)."""
    data = prepare_data(parse_config(numeric_config(numeric_table(tmp_path / "t.csv"), **options)))
    inputs, features = model_input = data.model_input()
    return data.splits.train.x, keras.Model(inputs, features), model_input.columns


def test_piecewise_linear_edges_are_the_training_splits_quantiles(tmp_path):
    train, model, _ = encoded(tmp_path, numeric_encoding="piecewise_linear", numeric_bins=8)
    edges = model.get_layer(NUMERIC_EMBEDDING).get_config()["edges"]
    expected = []
    for name in NUMERIC:
        values = train[name].astype("float64")
        filled = np.where(np.isnan(values), np.nanmedian(values), values)  # missing: median, as the model fills
        expected.append(np.unique(np.quantile(filled, np.linspace(0, 1, 9)).astype("float32")).tolist())
    assert edges[:3] == expected[:3] and len(edges[0]) == 9 and len(edges[2]) == 4  # k: four values, three bins
    assert edges[3] == [6.5, 7.5]  # a constant column: one bin around its value
    whole = pd.read_csv(tmp_path / "t.csv")["z"].to_numpy()
    assert edges[1] != np.quantile(whole, np.linspace(0, 1, 9)).astype("float32").tolist()  # not the whole file's
    assert model.output.shape == (None, 4 * 24 + 7)  # 24 a numeric column, and shop one-hot (6 and the unseen slot)


def test_periodic_embeds_the_standardised_columns_which_stay_graph_sources(tmp_path):
    train, model, columns = encoded(tmp_path, numeric_encoding="periodic", numeric_frequencies=5, numeric_sigma=0.5)
    layer = model.get_layer(NUMERIC_EMBEDDING)
    config = layer.get_config()
    assert {key: config[key] for key in ("n_frequencies", "sigma", "d_embedding", "lite")} == {
        "n_frequencies": 5, "sigma": 0.5, "d_embedding": 24, "lite": False
    }  # fmt: skip
    assert layer.frequencies.shape == (4, 5) and layer.kernel.shape == (4, 10, 24)
    assert columns["columns.x"].shape == (None, 1) and columns["columns.shop"].shape == (None, 7)
    assert model.output.shape == (None, 4 * 24 + 7)
    # The embedding reads each column's standardised value (a blank cell filled first).
    scale = keras.Model(model.input["x"], columns["columns.x"])
    scaled = scale.predict(np.array([[np.nanmean(train["x"])], [np.nan]], "float32"), verbose=0)
    filled = np.where(np.isnan(train["x"]), np.nanmedian(train["x"]), train["x"])
    np.testing.assert_allclose(
        scaled[:, 0],
        (np.array([np.nanmean(train["x"]), np.nanmedian(train["x"])]) - filled.mean()) / filled.std(),
        atol=1e-5,
    )


def test_standardize_is_todays_graph(tmp_path):
    _, model, _ = encoded(tmp_path)
    assert NUMERIC_EMBEDDING not in [layer.name for layer in model.layers]
    assert model.output.shape == (None, 4 + 7) and model.get_layer("x_scale") is not None


def test_embedding_dim_auto_sizes_each_column_by_its_categories(tmp_path):
    assert [embedding_width(n) for n in (2, 6, 101, 10_001, 10**6)] == [2, 4, 21, 278, 600]
    frame = pd.DataFrame({"few": np.arange(60) % 3, "many": np.arange(60) % 40, "y": np.arange(60) % 2})
    frame.to_csv(tmp_path / "c.csv", index=False)
    options = {"path": tmp_path / "c.csv", "target": "y", "categorical": ["few", "many"]}
    csv = DATASETS.get("csv")(**options, categorical_encoding="embedding", embedding_dim="auto")
    inputs, features = csv.model_input((2,))
    model = keras.Model(inputs, features)
    assert model.get_layer("few_embed").output_dim == embedding_width(4) == 3
    assert model.get_layer("many_embed").output_dim == embedding_width(41) == 13
    fixed = keras.Model(
        *DATASETS.get("csv")(**options, categorical_encoding="embedding", embedding_dim=5).model_input((2,))
    )
    assert fixed.output.shape == (None, 10)


def test_dry_run_counts_the_embeddings_parameters(tmp_path, cli):
    config = numeric_config(numeric_table(tmp_path / "t.csv"), numeric_encoding="periodic", numeric_lite=True)
    summary = json.loads(cli("validate", write_config(tmp_path, config), "--dry-run", "--json").stdout)
    embedding = 4 * 48 + (96 * 24 + 24)  # frequencies, and one Linear shared by the four columns
    head = (4 * 24 + 7) * 32 + 32 + 33
    assert summary["params"] == embedding + head


NOT_FOR = "data.options.{}: is for numeric_encoding: {}, not {}"
WIDTH = "data.options.embedding_dim: should be an integer > 0 or auto. Received: "
PERIODIC = {"numeric_encoding": "periodic"}


@pytest.mark.parametrize(
    "options, message",
    [
        ({**PERIODIC, "numeric_bins": 8}, NOT_FOR.format("numeric_bins", "piecewise_linear", "periodic")),
        ({"numeric_sigma": 0.1}, NOT_FOR.format("numeric_sigma", "periodic", "standardize")),
        ({"numeric_embedding_dim": 8}, NOT_FOR.format("numeric_embedding_dim", "periodic or piecewise_linear", "")),
        ({**PERIODIC, "numeric_lite": True, "numeric_embedding_dim": None}, "numeric_lite: shares a Linear"),
        ({"numeric_encoding": "quantile"}, "numeric_encoding: Input should be 'standardize', 'periodic' or"),
        ({"embedding_dim": "big"}, WIDTH + "'big'"),
        ({"embedding_dim": 0}, WIDTH + "0"),
    ],
)
def test_options_of_another_encoding_are_refused_in_one_line(tmp_path, cli, options, message):
    config = numeric_config(numeric_table(tmp_path / "t.csv"), **options)
    result = cli("validate", write_config(tmp_path, config))
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_resolved_config_holding_every_default_loads(tmp_path):
    csv = DATASETS.get("csv")(path=tmp_path / "t.csv", target="y", numeric_encoding="piecewise_linear")
    assert DATASETS.get("csv").model_validate(csv.args()).numeric_bins == 48
