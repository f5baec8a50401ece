"""`dlkit train` draws the run's plots in a spare process (`dlkit.core.spare_plots`): the same
files as drawn in place, a failure there raised here as it would have been, and in place when no
spare process is up."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit.core import plots, spare_plots
from dlkit.core.errors import WriteError


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss,accuracy,val_accuracy\n1,0.9,1.0,0.5,0.4\n2,0.5,0.7,0.8,0.7\n")
    return path


def _not_here(*args, **kwargs):
    raise AssertionError("drawn in the test's own process")


def test_drawings_go_to_the_spare_process(tmp_path, history, monkeypatch):
    spare_plots.start()
    monkeypatch.setattr(plots, "figure", _not_here)  # this process never draws
    plots.learning_curves(history, tmp_path / "curves.png")
    plots.confusion_matrix(np.array([[3, 1], [0, 4]]), ["a", "b"], tmp_path / "matrix.png", "test split")
    spare_plots.wait()
    for name in ("curves.png", "matrix.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_it_they_are_drawn_here(tmp_path, history):
    spare_plots.wait()  # none running: nothing to wait for
    plots.learning_curves(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").is_file()


def test_a_failure_there_is_raised_here_as_it_would_be(tmp_path, history):
    missing = tmp_path / "no-such-folder" / "curves.png"
    with pytest.raises(WriteError) as here:
        plots.learning_curves(history, missing)
    spare_plots.start()
    plots.learning_curves(history, missing)
    with pytest.raises(WriteError) as there:
        spare_plots.wait()
    assert str(there.value) == str(here.value) == f"{missing}: No such file or directory"
