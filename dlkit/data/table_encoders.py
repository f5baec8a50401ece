"""The `csv` table's column encoders, fitted on the training split and built into the model so
that predict takes raw rows: missing cells filled, numeric columns standardised (or embedded, all
of them through one layer of `dlkit.layers.numeric`), categories looked up and one-hot encoded or
embedded (as wide as a fixed `embedding_dim`, or by the column's cardinality)."""

from __future__ import annotations

from typing import Any

from dlkit.core.errors import ConfigError
from dlkit.core.strict import listed
from dlkit.data.dataset import COLUMNS, ModelInput

#: The name of the layer embedding every numeric column (`numeric_encoding` other than standardize).
NUMERIC_EMBEDDING = "numeric_embedding"


def embedding_width(rows: int) -> int:
    """`embedding_dim: auto`: fastai's rule, min(600, round(1.6 * rows ** 0.56)), of the embedding
    table's rows (the categories and the unseen slot, as fastai counts its `#na#` row). It was fitted
    on fastai's tabular benchmarks and grows slower than the square root: a 5-category column gets
    4, 100 categories 21, 10,000 ids 278, a million ids the cap of 600, where min(50, (n + 1) // 2)
    would give an id column of any size 50."""
    return min(600, round(1.6 * rows**0.56))


def quantile_edges(filled, bins: int) -> list[float]:
    """Piecewise-linear bin edges of a numeric column: its training values' quantiles at
    0, 1/bins, ..., 1, as float32 (the model's precision), repeated edges merged, so a column with
    few distinct values gets fewer bins; a constant column gets one bin around its value."""
    import numpy as np

    edges = np.unique(np.quantile(np.asarray(filled, "float64"), np.linspace(0.0, 1.0, bins + 1)).astype("float32"))
    if len(edges) < 2:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5], "float32")
    return [float(e) for e in edges]


def encode_columns(options: Any, x_train: dict, stats: dict | None = None) -> ModelInput:
    """One input per column of `x_train` (the training split's column arrays) with its encoders as
    `options` (a `Csv` dataset's) say; each encoded column is also a graph source `columns.NAME`
    (a numeric column's standardised value, which the embedding layers take). `stats` (a streamed
    table's, `column_stats` of every training row) overrides what `x_train`, then a sample, tells."""
    from dlkit.core.backend import keras

    _check_strings(x_train)
    k = keras()
    inputs, encoded, filled = {}, {}, {}
    for name, values in x_train.items():
        numeric = values.dtype.kind == "f"
        inputs[name] = k.Input(shape=(1,), name=name, dtype="float32" if numeric else "string")
        fitted = stats[name] if stats is not None else column_stats(values, options.missing)
        if numeric:
            filled[name], encoded[name] = _numeric(name, values, inputs[name], fitted)
        else:
            encoded[name] = _categorical(name, inputs[name], options, fitted)
    parts = list(encoded.values())
    if options.numeric_encoding != "standardize" and filled:
        categorical = [x for name, x in encoded.items() if name not in filled]
        parts = [_embedded(options, filled, {name: encoded[name] for name in filled}), *categorical]
    features = k.layers.Concatenate(name="features")(parts) if len(parts) > 1 else parts[0]
    return ModelInput(inputs, features, {f"{COLUMNS}{name}": x for name, x in encoded.items()})


def _check_strings(x_train: dict) -> None:
    """Refuse (ConfigError, before the run folder) category columns where TensorFlow is not
    installed: the model takes them as strings, which its tensors alone hold."""
    from dlkit.core.backend import TENSORFLOW_EXTRA, has_tensorflow

    strings = [name for name, values in x_train.items() if values.dtype.kind != "f"]
    if strings and not has_tensorflow():
        raise ConfigError(
            f"data: the model takes {listed(strings)} as strings (category columns), which only TensorFlow's "
            f"tensors hold, and TensorFlow is not installed here: {TENSORFLOW_EXTRA}"
        )


def column_stats(values, missing: str) -> dict:
    """What a column's encoders are fitted on: a numeric column's fill (`missing`) and the mean and
    variance of its filled values; a categorical column's vocabulary and fill (its most frequent)."""
    import numpy as np

    if values.dtype.kind == "f":
        fill = {"median": np.nanmedian, "most_frequent": mode}.get(missing, np.nanmean)(values)
        values = np.where(np.isnan(values), fill, values)
        return {"fill": float(fill), "mean": values.mean(), "var": values.var()}
    present = values[values != ""]
    return {"vocabulary": sorted(set(present.tolist())), "fill": mode(present) if len(present) else ""}


def _numeric(name: str, values, column, stats: dict):
    """((the training values filled, the filled column), the standardised column)."""
    import numpy as np

    from dlkit.core.backend import keras
    from dlkit.layers.custom import FillMissing

    values = np.where(np.isnan(values), stats["fill"], values)
    x = FillMissing(stats["fill"], name=f"{name}_fill")(column)
    scaled = keras().layers.Normalization(mean=stats["mean"], variance=stats["var"], name=f"{name}_scale")(x)
    return (values, x), scaled


def _categorical(name: str, column, options, stats: dict):
    """The column filled with its most frequent category, looked up, one-hot or embedded."""
    from dlkit.core.backend import keras
    from dlkit.layers.custom import FillMissing

    k = keras()
    vocabulary = stats["vocabulary"]
    x = FillMissing(stats["fill"], name=f"{name}_fill")(column)
    if options.categorical_encoding == "one_hot":
        return k.layers.StringLookup(vocabulary=vocabulary, output_mode="one_hot", name=f"{name}_lookup")(x)
    x = k.layers.StringLookup(vocabulary=vocabulary, name=f"{name}_lookup")(x)
    rows = len(vocabulary) + 1  # the out-of-vocabulary slot
    width = embedding_width(rows) if options.embedding_dim == "auto" else options.embedding_dim
    x = k.layers.Embedding(rows, width, name=f"{name}_embed")(x)
    return k.layers.Flatten(name=f"{name}_flat")(x)


def _embedded(options, filled: dict, scaled: dict):
    """Every numeric column through one embedding layer: `periodic` on the standardised values (its
    frequencies are per standard deviation), `piecewise_linear` on the filled values, with bin edges
    at the training split's quantiles of each column (kept in the layer's config, in model.keras)."""
    from dlkit.layers.numeric import PeriodicEmbedding, PiecewiseLinearEmbedding

    if options.numeric_encoding == "periodic":
        layer = PeriodicEmbedding(
            n_frequencies=options.numeric_frequencies,
            sigma=options.numeric_sigma,
            d_embedding=options.numeric_embedding_dim,
            lite=options.numeric_lite,
            name=NUMERIC_EMBEDDING,
        )
        columns = list(scaled.values())
    else:
        edges = [quantile_edges(values, options.numeric_bins) for values, _ in filled.values()]
        layer = PiecewiseLinearEmbedding(edges, d_embedding=options.numeric_embedding_dim, name=NUMERIC_EMBEDDING)
        columns = [x for _, x in filled.values()]
    return layer(columns if len(columns) > 1 else columns[0])


def mode(values):
    """The most frequent value (the smallest of a tie; 0.0 of no values), as a float or a str."""
    import numpy as np

    values = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    uniques, counts = np.unique(values, return_counts=True)
    if not len(uniques):
        return 0.0
    best = uniques[counts.argmax()]
    return str(best) if values.dtype.kind in "USO" else float(best)
