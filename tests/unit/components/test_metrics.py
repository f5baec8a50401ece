"""Training metrics against scikit-learn: macro precision, recall and F1."""

import numpy as np
import pytest
from sklearn import metrics as skm

from dlkit.layers.custom import ClassScore


def _scores(score, y_true, y_pred, **kwargs):
    metric = ClassScore(score=score, **kwargs)
    metric.update_state(y_true[:40], y_pred[:40])
    metric.update_state(y_true[40:], y_pred[40:])
    return float(metric.result())


@pytest.mark.parametrize("score", ["precision", "recall", "f1"])
def test_class_scores_match_scikit_learn(score):
    rng = np.random.default_rng(0)
    y_true = rng.choice([0, 1, 3], 100)  # class 2 never occurs: left out of the macro average, as sklearn does
    outputs = rng.random((100, 4)).astype("float32")
    expected = getattr(skm, f"{score}_score")(y_true, outputs.argmax(-1), average="macro", zero_division=0)
    assert _scores(score, y_true, outputs, num_classes=4) == pytest.approx(expected, abs=1e-6)
    one_hot = np.eye(4, dtype="float32")[y_true]
    assert _scores(score, one_hot, outputs, num_classes=4) == pytest.approx(expected, abs=1e-6)

    binary_true = rng.integers(0, 2, 100)
    logits = rng.normal(size=(100, 1)).astype("float32")
    expected = getattr(skm, f"{score}_score")(binary_true, (logits[:, 0] > 0).astype(int), zero_division=0)
    kwargs = {"num_classes": 2, "threshold": 0.0, "positive_only": True}
    assert _scores(score, binary_true, logits, **kwargs) == pytest.approx(expected, abs=1e-6)
