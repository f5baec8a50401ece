"""cv's statistics: intervals kept inside the range of a bounded figure, and said how."""

import json

import pytest

from dlkit.crossval.summary import statistics, summarise, table


@pytest.mark.parametrize("values", [[1.0, 0.98, 1.0], [0.99, 1.0], [0.9, 1.0, 1.0, 0.95, 1.0], [0.02, 0.0, 0.0]])
def test_cv_intervals_stay_inside_a_bounded_figure(values):
    for name in ("accuracy", "auc", "precision", "recall", "f1", "micro_f1", "roc_auc"):
        low, high = statistics(values, name)["interval"]
        assert 0.0 <= low <= high <= 1.0
    low, high = statistics([v * 100 for v in values], "loss")["interval"]  # unbounded: Student t as it is
    assert low < min(v * 100 for v in values) or high > max(v * 100 for v in values)


def test_cv_summary_clips_and_says_how(tmp_path):
    for k, accuracy in enumerate((1.0, 0.97, 1.0), start=1):
        (tmp_path / f"fold-{k}").mkdir()
        (tmp_path / f"fold-{k}" / "metrics.json").write_text(json.dumps({"val": {"accuracy": accuracy}}))
    result = summarise(tmp_path, ["fold-1", "fold-2", "fold-3"])
    assert result["summary"]["val"]["accuracy"]["interval"][1] == 1.0
    assert "Student t" in result["interval"] and "clipped" in result["interval"]
    assert table(result, "cv").rows[0][4].endswith("- 1.0000")
