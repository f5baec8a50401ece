"""Segmentation's figures against a pixel-counting reference."""

import numpy as np
import pytest

from dlkit.tasks.segmentation.report import mask_scores


def reference(y_true, y_pred, k):
    """Per-class IoU and Dice by counting pixels class by class; means over the classes present."""
    ious, dices, hits = [], [], 0
    for c in range(k):
        t, p = y_true == c, y_pred == c
        inter, union, total = np.sum(t & p), np.sum(t | p), np.sum(t) + np.sum(p)
        hits += inter
        if union:
            ious.append(inter / union)
            dices.append(2 * inter / total)
    return {"mean_iou": np.mean(ious), "dice": np.mean(dices), "pixel_accuracy": hits / y_true.size}


@pytest.mark.parametrize("head", ["softmax", "sigmoid"])
def test_metrics_equal_numpy_reference(head):
    """The training metrics (`mean_iou`, `dice`, Keras, streamed over batches) and the report's
    figures (`eval.metrics`) both equal a pixel-counting reference to 1e-6."""
    from dlkit.core.registries import LOSSES, METRICS

    rng = np.random.default_rng(0)
    k = 4 if head == "softmax" else 2
    y_true = rng.integers(0, k, (6, 16, 16, 1))
    y_true[:, :4] = 0  # a skewed class balance, and class k-1 never predicted below
    if head == "softmax":
        outputs = rng.dirichlet(np.ones(k), (6, 16, 16)).astype("float32")
        outputs[..., k - 1] = 0.0
        y_pred, loss = outputs.argmax(-1), LOSSES.parse("sparse_categorical_crossentropy")
    else:
        outputs = rng.uniform(0, 1, (6, 16, 16, 1)).astype("float32")
        y_pred, loss = (outputs[..., 0] > 0.5).astype(int), LOSSES.parse("binary_crossentropy")
    expected = reference(y_true[..., 0], y_pred, k)
    for name in ("mean_iou", "dice"):
        metric = METRICS.parse(name).build(loss, k)
        for batch in range(0, 6, 4):  # in two batches, as training streams them
            metric.update_state(y_true[batch : batch + 4], outputs[batch : batch + 4])
        assert float(metric.result()) == pytest.approx(expected[name], abs=1e-6)
    figures = mask_scores(y_true, y_pred, k)
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, abs=1e-6)
