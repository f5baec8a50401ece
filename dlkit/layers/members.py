"""Ensembles in one network, as Keras layers written with `keras.ops` only: TabM (Gorishniy et al.,
ICLR 2025) as `TabM`, an MLP whose k members share every weight matrix (BatchEnsemble), and
`EnsembleHead`, each member's own linear head and the members' mean; `MemberMean`, the mean of k
whole copies of a network (`train.ensemble`). In a training call the last two give the members
themselves, so that each learns from its own loss (`dlkit.training.addons.ensemble`). Imports
Keras: `dlkit.layers.custom` imports it, so loading a model registers them."""

from __future__ import annotations

from dlkit.core.backend import keras

K = keras()

#: What the adapters of `TabM` are: `full`, BatchEnsemble's r and s and a bias per member in every
#: layer (TabM); `mini`, one r on the input and the rest shared (TabM-mini).
ADAPTERS = ("full", "mini")
#: How the first layer's input adapter r is drawn (TabM's: random signs; normal after numeric
#: embeddings). Every other adapter starts at ones, so the members start as one network seen
#: through k different sign patterns of its input.
FIRST_ADAPTER_INITS = ("random_signs", "normal")


def _fan_in_uniform(fan_in: int):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear initialisation, which TabM keeps."""
    return K.initializers.RandomUniform(-(fan_in**-0.5), fan_in**-0.5)


def _shared_row(fan_in: int):
    """A (k, units) bias whose k rows start equal, drawn as one row of U(-1/sqrt(fan_in), ..): the
    members start as one network (TabM's initialisation)."""
    limit = fan_in**-0.5

    def initializer(shape, dtype=None):
        row = K.random.uniform(shape[-1:], -limit, limit, dtype=dtype)
        return K.ops.broadcast_to(row, shape)

    return initializer


def _random_signs(shape, dtype=None):
    return K.ops.cast(K.random.randint(shape, 0, 2), dtype or "float32") * 2 - 1


@K.saving.register_keras_serializable(package="dlkit")
class TabM(K.layers.Layer):
    """k MLPs in one: each dense layer's weight matrix W is shared, member i has its own input and
    output scales r_i, s_i and bias b_i, so y_i = s_i * (W (r_i * x_i)) + b_i (BatchEnsemble), then
    the activation and dropout. Takes (batch, features), which every member reads, or (batch, k,
    features) from another ensemble layer; gives (batch, k, units[-1]). `adapters: mini` keeps
    only the first layer's r (TabM-mini): fewer weights, members differing only in what they see."""

    def __init__(
        self,
        units,
        k=32,
        dropout=0.0,
        activation="relu",
        adapters="full",
        first_adapter_init="random_signs",
        **kwargs,
    ):
        super().__init__(**kwargs)
        units = [units] if isinstance(units, int) else list(units)
        if not units or any(u < 1 for u in units) or k < 1 or not 0 <= dropout < 1:
            raise ValueError(
                "TabM takes units (a non-empty list of positive sizes), k >= 1 members and 0 <= dropout < 1. "
                f"Received: units={units}, k={k}, dropout={dropout}"
            )
        if adapters not in ADAPTERS or first_adapter_init not in FIRST_ADAPTER_INITS:
            raise ValueError(
                f"TabM takes adapters in {ADAPTERS} and first_adapter_init in {FIRST_ADAPTER_INITS}. "
                f"Received: adapters={adapters!r}, first_adapter_init={first_adapter_init!r}"
            )
        self.units, self.k, self.dropout, self.adapters = units, k, dropout, adapters
        self.activation, self.first_adapter_init = activation, first_adapter_init
        self._activation = k_activation(activation)
        self._dropout = K.layers.Dropout(dropout) if dropout else None

    def build(self, input_shape):
        if len(input_shape) not in (2, 3) or (len(input_shape) == 3 and input_shape[1] != self.k):
            raise ValueError(
                f"TabM takes (batch, features), or (batch, {self.k}, features) from another ensemble layer of "
                f"k={self.k}. Received: input_shape={tuple(input_shape)}"
            )
        self.blocks, width = [], input_shape[-1]
        for i, units in enumerate(self.units):
            self.blocks.append(self._block(i, width, units))
            width = units

    def _block(self, i: int, width: int, units: int) -> dict:
        """Layer i's weights: W shared; r, s and the bias per member (`full`), or only layer 0's r."""
        full, k = self.adapters == "full", self.k
        first = K.initializers.RandomNormal(stddev=1.0) if self.first_adapter_init == "normal" else _random_signs
        return {
            "kernel": self.add_weight((width, units), _fan_in_uniform(width), name=f"kernel_{i}"),
            "r": self.add_weight((k, width), first if i == 0 else "ones", name=f"r_{i}") if i == 0 or full else None,
            "s": self.add_weight((k, units), "ones", name=f"s_{i}") if full else None,
            "bias": self.add_weight((k, units) if full else (units,), _shared_row(width), name=f"bias_{i}"),
        }

    def call(self, inputs, training=None):
        ops = K.ops
        # (batch, features) broadcasts against the first r to (batch, k, features): no copies.
        x = ops.expand_dims(inputs, 1) if len(inputs.shape) == 2 else inputs
        for block in self.blocks:
            if block["r"] is not None:
                x = x * block["r"]
            x = ops.matmul(x, block["kernel"])
            if block["s"] is not None:
                x = x * block["s"]
            x = self._activation(x + block["bias"])
            if self._dropout is not None:
                x = self._dropout(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, self.units[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "k": self.k,
            "dropout": self.dropout,
            "activation": self.activation,
            "adapters": self.adapters,
            "first_adapter_init": self.first_adapter_init,
        }


@K.saving.register_keras_serializable(package="dlkit")
class EnsembleHead(K.layers.Layer):
    """Each member's own dense output layer over (batch, k, features) (TabM's k heads), its
    activation applied per member, then the mean over the members: (batch, units), probabilities
    averaged for a softmax or sigmoid. With `member_loss`, a training call gives the members
    themselves, (batch, k, units), so that each is trained on its own loss (TabM's rule; the
    trainer's `ensemble` add-on takes the loss of each and averages); inference, `model.keras`
    and every other call give the mean."""

    def __init__(self, units, activation=None, member_loss=True, **kwargs):
        super().__init__(**kwargs)
        if units < 1:
            raise ValueError(f"EnsembleHead takes units >= 1. Received: units={units}")
        self.units, self.activation, self.member_loss = units, activation, bool(member_loss)
        self._activation = k_activation(activation)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None:
            raise ValueError(
                "EnsembleHead takes each member's features, (batch, k, features), as `tabm` gives them. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        members, width = input_shape[1], input_shape[2]
        self.kernel = self.add_weight((members, width, self.units), _fan_in_uniform(width), name="kernel")
        self.bias = self.add_weight((members, self.units), _fan_in_uniform(width), name="bias")

    def call(self, inputs, training=None):
        members = self._activation(K.ops.einsum("bkd,kdu->bku", inputs, self.kernel) + self.bias)
        return members if training and self.member_loss else K.ops.mean(members, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "member_loss": self.member_loss,
        }


@K.saving.register_keras_serializable(package="dlkit")
class MemberMean(K.layers.Layer):
    """The mean of k networks' outputs, each (batch, units): a deep ensemble's prediction. A
    training call gives them stacked, (batch, k, units), so that each network learns from its own
    loss, as k separate trainings would (`train.ensemble`)."""

    def call(self, inputs, training=None):
        members = K.ops.stack(inputs, axis=1)
        return members if training else K.ops.mean(members, axis=1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])


def k_activation(name):
    """Keras's activation of that name (None: linear)."""
    return K.activations.get(name or "linear")
