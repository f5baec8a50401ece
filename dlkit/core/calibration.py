"""How well a classifier's confidence matches how often it is right: the expected calibration error
over equal-width bins of confidence (Guo et al. 2017), the bins of its reliability diagram (drawn
by `dlkit.core.plots.reliability`), and temperature scaling fitted on a split's outputs. Numbers only
(numpy, scipy): no TensorFlow here; the layer that applies a temperature inside `model.keras` is
`dlkit.layers.custom.TemperatureScaling`.

A model's outputs are read by its task's head (`softmax`: one probability per class; `sigmoid`:
the second class's probability) and `from_logits` (the loss takes scores before the activation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


#: Bins of confidence for the ECE and the reliability diagram, equal-width over (0, 1].
BINS = 15
#: Probabilities are clipped here before their log: float32's smallest normal number, so an output
#: that underflowed to 0 keeps its place below every other (its log is -87, not -inf).
TINY = 2.0**-126  # np.finfo(np.float32).tiny, without importing NumPy to import this
#: The largest float32 below 1: a sigmoid output of exactly 1.0 has a finite logit (16.6).
BELOW_ONE = 1 - 2.0**-24  # np.nextafter(np.float32(1), np.float32(0))


def scores(outputs: np.ndarray, head: str, from_logits: bool) -> np.ndarray:
    """The outputs as float64 scores before the activation: logits, or the log of each probability
    (softmax; its softmax gives the probabilities back), or the sigmoid's logit."""
    import numpy as np

    x = np.asarray(outputs, dtype="float64")
    if from_logits:
        return x
    if head == "softmax":
        return np.log(np.clip(x, TINY, 1.0))
    x = np.clip(x, TINY, BELOW_ONE)
    return np.log(x) - np.log1p(-x)


def log_probabilities(z: np.ndarray, head: str) -> np.ndarray:
    """(N, K) log-probability of each class from scores `z` (binary: K = 2, [1 - p, p])."""
    import numpy as np
    from scipy import special

    if head == "softmax":
        return special.log_softmax(z, axis=-1)
    z = z.reshape(-1)
    return np.stack([special.log_expit(-z), special.log_expit(z)], axis=-1)


def nll(log_probs: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes."""
    import numpy as np

    y = np.asarray(y, dtype="int64").reshape(-1)
    return float(-log_probs[np.arange(len(y)), y].mean())


def reliability(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> dict:
    """The confidence (the predicted class's probability) against the accuracy in each of `bins`
    equal-width bins (lower edge excluded, upper included), and the expected calibration error:
    the bins' |accuracy - confidence| weighted by their share of the examples. Binary outputs as
    (N, 2) probabilities, so a binary confidence is that of the predicted class (>= 0.5)."""
    import numpy as np

    probs, y = np.asarray(probs, dtype="float64"), np.asarray(y, dtype="int64").reshape(-1)
    confidence, correct = probs.max(axis=-1), probs.argmax(axis=-1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.digitize(confidence, edges[1:-1], right=True)
    rows, ece = [], 0.0
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        row = {"lower": float(edges[b]), "upper": float(edges[b + 1]), "count": count}
        if count:
            row["confidence"], row["accuracy"] = float(confidence[members].mean()), float(correct[members].mean())
            ece += count / len(y) * abs(row["accuracy"] - row["confidence"])
        rows.append(row)
    return {"ece": float(ece), "bins": rows}


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    return reliability(probs, y, bins)["ece"]


def fit_temperature(z: np.ndarray, y: np.ndarray, head: str) -> float:
    """The temperature T > 0 whose scores z / T have the least NLL on labels `y`, searched over
    log T (so T and 1/T are alike to the search) in [1/50, 50]."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(
        lambda log_t: nll(log_probabilities(z / np.exp(log_t), head), y),
        bounds=(-np.log(50.0), np.log(50.0)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(found.x))


def figures(z: np.ndarray, y: np.ndarray, head: str, temperature: float) -> dict[str, float]:
    """ECE and NLL of scores `z` before and after dividing them by `temperature`."""
    import numpy as np

    before, after = log_probabilities(z, head), log_probabilities(z / temperature, head)
    return {
        "ece_before": expected_calibration_error(np.exp(before), y),
        "ece_after": expected_calibration_error(np.exp(after), y),
        "nll_before": nll(before, y),
        "nll_after": nll(after, y),
    }
