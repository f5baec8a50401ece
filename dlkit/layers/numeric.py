"""Embeddings of numeric features (Gorishniy et al., "On Embeddings for Numerical Features in Tabular
Deep Learning", NeurIPS 2022): each numeric column becomes a vector before the MLP sees it, which lets
an MLP fit the sharp, irregular target functions that trees fit and plain standardised inputs hide.

Both layers take one (batch, features) tensor or a list of them (a table's `columns.NAME`), embed
every feature on its own, and return the embeddings flattened to (batch, features * width), so a
Dense can follow. Written with `keras.ops` only, so they run on any Keras backend; registered as
serializables so `model.keras` holding them loads in safe mode (`dlkit.layers.custom` imports this)."""

from __future__ import annotations

import math

import numpy as np

from dlkit.core.backend import keras

k = keras()


def _shapes(input_shape) -> list[tuple]:
    """The input's shape, or each shape of a list of inputs."""
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        return [tuple(shape) for shape in input_shape]
    return [tuple(input_shape)]


def _feature_count(layer: str, input_shape) -> int:
    """How many features the inputs hold together; each input must be (batch, features)."""
    shapes = _shapes(input_shape)
    if any(len(shape) != 2 or shape[-1] is None for shape in shapes):
        raise ValueError(
            f"{layer} takes numeric columns of shape (batch, features), one tensor or a list. "
            f"Received: input_shape={input_shape}"
        )
    return sum(int(shape[-1]) for shape in shapes)


def _features(inputs):
    """One (batch, features) tensor of the inputs, side by side in the order given."""
    if isinstance(inputs, (list, tuple)):
        return k.ops.concatenate(list(inputs), axis=-1) if len(inputs) > 1 else inputs[0]
    return inputs


def _uniform(fan_in: int):
    """PyTorch's Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases,
    as the paper's reference code (rtdl_num_embeddings) uses for its per-feature Linear."""
    bound = 1.0 / math.sqrt(fan_in)
    return k.initializers.RandomUniform(-bound, bound)


@k.saving.register_keras_serializable(package="dlkit")
class PeriodicEmbedding(k.layers.Layer):
    """Each feature x as [sin(2 pi c x), cos(2 pi c x)] for `n_frequencies` trained frequencies c
    of its own, drawn from N(0, sigma) (the paper's `P`), then a Linear + ReLU of width
    `d_embedding` per feature (`PLR`; `lite`: one Linear shared by every feature, as TabR and TabM
    use it; `d_embedding: None`: the sines and cosines alone). Takes standardised inputs: sigma is
    in cycles per unit of the input."""

    def __init__(self, n_frequencies=48, sigma=0.01, d_embedding=24, lite=False, **kwargs):
        super().__init__(**kwargs)
        if int(n_frequencies) < 1 or not float(sigma) > 0 or (d_embedding is not None and int(d_embedding) < 1):
            raise ValueError(
                "PeriodicEmbedding takes n_frequencies >= 1, sigma > 0 and d_embedding >= 1 or None. "
                f"Received: n_frequencies={n_frequencies}, sigma={sigma}, d_embedding={d_embedding}"
            )
        if lite and d_embedding is None:
            raise ValueError(
                "PeriodicEmbedding with lite=True shares its Linear, so it needs a d_embedding. "
                "Received: d_embedding=None"
            )
        self.n_frequencies, self.sigma, self.lite = int(n_frequencies), float(sigma), bool(lite)
        self.d_embedding = None if d_embedding is None else int(d_embedding)

    def build(self, input_shape):
        n, width = _feature_count("PeriodicEmbedding", input_shape), 2 * self.n_frequencies
        normal = k.initializers.RandomNormal(stddev=self.sigma)
        self.frequencies = self.add_weight(shape=(n, self.n_frequencies), initializer=normal, name="frequencies")
        if self.d_embedding is not None:
            per_feature = () if self.lite else (n,)
            shape = (*per_feature, width, self.d_embedding)
            self.kernel = self.add_weight(shape=shape, initializer=_uniform(width), name="kernel")
            shape = (*per_feature, self.d_embedding)
            self.bias = self.add_weight(shape=shape, initializer=_uniform(width), name="bias")

    def call(self, inputs):
        ops = k.ops
        x = _features(inputs)
        angles = (2 * math.pi) * ops.expand_dims(x, -1) * self.frequencies  # (batch, n, k)
        x = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)  # (batch, n, 2k)
        if self.d_embedding is not None:
            x = ops.einsum("bnf,fd->bnd" if self.lite else "bnf,nfd->bnd", x, self.kernel)
            x = ops.relu(x + self.bias)
        return ops.reshape(x, (-1, x.shape[1] * x.shape[2]))

    def compute_output_shape(self, input_shape):
        n = _feature_count("PeriodicEmbedding", input_shape)
        return (_shapes(input_shape)[0][0], n * (self.d_embedding or 2 * self.n_frequencies))

    def get_config(self):
        return {
            **super().get_config(),
            "n_frequencies": self.n_frequencies,
            "sigma": self.sigma,
            "d_embedding": self.d_embedding,
            "lite": self.lite,
        }


def check_edges(edges) -> tuple[tuple[float, ...], ...]:
    """`edges` (one list for every feature, or a list per feature) as a tuple per list; each needs
    two or more finite numbers, strictly increasing. Raises ValueError saying which is wrong."""
    lists = edges if edges and all(isinstance(e, (list, tuple)) for e in edges) else [edges]
    checked = []
    for i, values in enumerate(lists):
        values = np.asarray(values, dtype="float64").reshape(-1)
        if len(values) < 2 or not np.isfinite(values).all() or (np.diff(values) <= 0).any():
            where = f"edges[{i}]" if lists is edges else "edges"
            raise ValueError(
                f"PiecewiseLinearEmbedding takes bin edges of two or more finite numbers, strictly increasing. "
                f"Received: {where}={values.tolist()}"
            )
        checked.append(tuple(float(v) for v in values))
    return tuple(checked)


@k.saving.register_keras_serializable(package="dlkit")
class PiecewiseLinearEmbedding(k.layers.Layer):
    """Each feature x as its piecewise-linear encoding over bins with `edges` b_0 < ... < b_T (the
    paper's PLE): component t is 0 below its bin, 1 above it, (x - b_t-1) / (b_t - b_t-1) inside,
    the first and last bins open outwards; then a Linear + ReLU of width `d_embedding` per feature
    (`d_embedding: None`: the encoding alone, T values a feature). `edges` is one list for every
    feature, or one per feature, in the units of the inputs (z-scores for a `columns.NAME`)."""

    def __init__(self, edges, d_embedding=None, **kwargs):
        super().__init__(**kwargs)
        self.edges = check_edges(edges)
        self.shared = not (edges and all(isinstance(e, (list, tuple)) for e in edges))
        if d_embedding is not None and int(d_embedding) < 1:
            raise ValueError(
                f"PiecewiseLinearEmbedding takes d_embedding >= 1 or None. Received: d_embedding={d_embedding}"
            )
        self.d_embedding = None if d_embedding is None else int(d_embedding)

    def _per_feature(self, n: int) -> tuple[tuple[float, ...], ...]:
        if self.shared:
            return self.edges * n
        if len(self.edges) != n:
            raise ValueError(
                f"PiecewiseLinearEmbedding has bin edges for {len(self.edges)} features but takes {n}; give one "
                f"list of edges per feature, or one list for all. Received: {n} input features"
            )
        return self.edges

    def build(self, input_shape):
        edges = self._per_feature(_feature_count("PiecewiseLinearEmbedding", input_shape))
        bins = [len(e) - 1 for e in edges]
        # Every bin of every feature side by side: which feature it reads, its left edge, 1 / its
        # width, and its clamps.
        self._owner = np.repeat(np.arange(len(edges)), bins).astype("int32")
        left = np.concatenate([e[:-1] for e in edges])
        width = np.concatenate([np.diff(e) for e in edges])
        self._left, self._scale = left, 1.0 / width
        first = np.concatenate([np.arange(t) == 0 for t in bins])
        last = np.concatenate([np.arange(t) == t - 1 for t in bins])
        self._lower, self._upper = np.where(first, -np.inf, 0.0), np.where(last, np.inf, 1.0)
        if self.d_embedding is not None:
            # Each feature's bins in a row of its own, padded to the most bins; the pads read the
            # first bin and are masked out, so the kernel holds exactly sum(T) x d weights.
            starts = np.cumsum([0, *bins[:-1]])
            slots = np.arange(max(bins))
            self._index = np.where(slots < np.array(bins)[:, None], starts[:, None] + slots, 0).astype("int32")
            self._mask = (slots < np.array(bins)[:, None]).astype("float32")[..., None]
            init = _uniform(max(bins))
            self.kernel = self.add_weight(shape=(sum(bins), self.d_embedding), initializer=init, name="kernel")
            self.bias = self.add_weight(shape=(len(bins), self.d_embedding), initializer=init, name="bias")

    def call(self, inputs):
        ops = k.ops
        x = _features(inputs)

        def const(values):
            return ops.convert_to_tensor(values, dtype=x.dtype)

        # x - b first: a large value in a narrow bin keeps its digits (x / w - b / w would not).
        encoded = (ops.take(x, ops.convert_to_tensor(self._owner), axis=1) - const(self._left)) * const(self._scale)
        encoded = ops.minimum(ops.maximum(encoded, const(self._lower)), const(self._upper))
        if self.d_embedding is None:
            return encoded
        index = ops.convert_to_tensor(self._index)
        rows = ops.take(encoded, index, axis=1)  # (batch, n, most bins)
        kernel = ops.take(self.kernel, index, axis=0) * const(self._mask)  # (n, most bins, d)
        x = ops.relu(ops.einsum("bnt,ntd->bnd", rows, ops.cast(kernel, x.dtype)) + ops.cast(self.bias, x.dtype))
        return ops.reshape(x, (-1, x.shape[1] * x.shape[2]))

    def compute_output_shape(self, input_shape):
        edges = self._per_feature(_feature_count("PiecewiseLinearEmbedding", input_shape))
        width = len(edges) * self.d_embedding if self.d_embedding else sum(len(e) - 1 for e in edges)
        return (_shapes(input_shape)[0][0], width)

    def get_config(self):
        edges = list(self.edges[0]) if self.shared else [list(e) for e in self.edges]
        return {**super().get_config(), "edges": edges, "d_embedding": self.d_embedding}
