"""Task segmentation takes its mask metrics (and classification does not)."""

from __future__ import annotations


def test_segmentation_still_takes_its_mask_metrics():
    from dlkit.core.registries import METRICS, TASKS

    segmentation, classification = TASKS.get("segmentation"), TASKS.get("classification")
    assert segmentation.takes_metric(METRICS.get("dice"), "softmax")
    assert not classification.takes_metric(METRICS.get("dice"), "softmax")
