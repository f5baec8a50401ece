"""Calibration's numbers: the expected calibration error against hand-computed values, the
reliability diagram, and the fitted temperature."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TINY
from dlkit.config.loader import parse_config
from dlkit.core import calibration
from dlkit.core.errors import ConfigError
from dlkit.engine.task import task_of
from helpers.calibration import BINARY_LOGITS


def test_ece_of_hand_made_probabilities():
    task = task_of(parse_config(TINY))
    probs = np.array(
        [
            [0.90, 0.05, 0.05],  # label 0: right at 0.90 (bin 13)
            [0.10, 0.80, 0.10],  # label 2: wrong at 0.80, the upper edge of bin 11 (0.7333, 0.8]
            [0.20, 0.10, 0.70],  # label 2: right at 0.70 (bin 10)
            [0.30, 0.65, 0.05],  # label 1: right at 0.65 (bin 9)
            [0.95, 0.03, 0.02],  # label 0: right at 0.95 } bin 14: confidence 0.96,
            [0.01, 0.02, 0.97],  # label 1: wrong at 0.97 }         accuracy 0.5
        ]
    )
    y = np.array([0, 2, 2, 1, 0, 1])
    expected = (0.10 + 0.80 + 0.30 + 0.35 + 2 * 0.46) / 6  # = 0.41166...
    assert task.report(y, probs)["ece"] == pytest.approx(expected, abs=1e-12)
    bins = calibration.reliability(probs, y)["bins"]
    assert len(bins) == 15 and [b["count"] for b in bins] == [0] * 9 + [1, 1, 1, 0, 1, 2]
    assert bins[14]["confidence"] == pytest.approx(0.96) and bins[14]["accuracy"] == 0.5
    assert bins[11]["upper"] == pytest.approx(0.8)


def test_binary_ece_takes_the_confidence_of_the_predicted_class():
    binary = {**BINARY_LOGITS, "train": {**TINY["train"]}, "eval": {}}  # sigmoid probabilities
    task = task_of(parse_config(binary))
    p = np.array([[0.90], [0.20], [0.70], [0.45]])
    y = np.array([1, 1, 0, 0])
    # predicted 1 at 0.90 (right), 0 at 0.80 (wrong), 1 at 0.70 (wrong), 0 at 0.55 (right); one per bin
    assert task.report(y, p)["ece"] == pytest.approx((0.10 + 0.80 + 0.70 + 0.45) / 4, abs=1e-12)


def test_ece_is_a_default_report_metric_of_classification_and_binary_only():
    assert "ece" in parse_config(TINY).eval.metrics
    assert "ece" in parse_config({**BINARY_LOGITS, "eval": {}}).eval.metrics
    regression = {
        **TINY,
        "task": "regression",
        "data": {"dataset": "diabetes"},
        "model": {"layers": [{"type": "dense", "units": 1}]},
    }
    with pytest.raises(ConfigError, match="eval.metrics.0: 'ece' does not fit task 'regression'"):
        parse_config({**regression, "eval": {"metrics": ["ece"]}})


def test_the_fitted_temperature_undoes_overconfidence():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 5))
    truth = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y = np.array([rng.choice(5, p=p) for p in truth])
    overconfident = np.exp(calibration.log_probabilities(2.5 * logits, "softmax")).astype("float32")
    z = calibration.scores(overconfident, "softmax", from_logits=False)
    temperature = calibration.fit_temperature(z, y, "softmax")
    assert temperature == pytest.approx(2.5, rel=0.1)
    figures = calibration.figures(z, y, "softmax", temperature)
    assert figures["ece_after"] < figures["ece_before"] / 3 and figures["nll_after"] < figures["nll_before"]
