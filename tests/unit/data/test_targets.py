"""What a dataset's labels are, told the same way from a file's cells (`dlkit validate`) and from the
loaded labels (`dlkit train`): integers, numbers with fractions, text, masks; how messages say it."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit.data.targets import FLOATS, INTEGERS, MASKS, TEXT, Target, of_cells, of_labels

KEY = ("options", "target")


@pytest.mark.parametrize(
    ("cells", "kind", "distinct", "example"),
    [
        (["1", " 2", "3 ", "2"], INTEGERS, 3, "1"),
        (["1.0", "2.0", "-3"], INTEGERS, 3, "-3"),
        (["2.5", "1.25", "3"], FLOATS, 3, "1.25"),
        (["Adelie", "Gentoo", "1"], TEXT, 3, "Adelie"),
        ([3, 1.5, 2], FLOATS, 3, "1.5"),  # numbers as pandas reads them
        (["nan", "inf", "1"], TEXT, 3, "inf"),  # neither NaN nor infinity is a number here
    ],
)
def test_cells_say_what_the_labels_are(cells, kind, distinct, example):
    target = of_cells(cells, KEY, "column 'y'")
    assert (target.kind, target.distinct, target.example) == (kind, distinct, example)
    assert target.where == "data.options.target" and target.subject == "column 'y'"


def test_no_cell_is_no_target_and_the_descriptions():
    assert of_cells([], KEY, "column 'y'") is None and of_labels(np.array([]), KEY, "y") is None
    assert Target(TEXT, KEY, "s", 2, "Adelie").described() == "text ('Adelie', ...)"
    assert Target(FLOATS, KEY, "s", 1234, "2.5").described() == "numbers with fractions (1,234 distinct, e.g. 2.5)"
    assert Target(INTEGERS, KEY, "s", 3, "0").described() == "integer labels (3 distinct, e.g. 0)"
    assert Target(MASKS, ("dataset",), "seg").described() == "masks (a class per pixel)"
    assert Target(MASKS, ("dataset",), "seg").where == "data.dataset"


def test_loaded_labels_are_told_as_their_cells_would_be():
    assert of_labels(np.array([0, 1, 2, 1]), KEY, "y").kind == INTEGERS
    assert of_labels(np.array([0.0, 1.0, np.nan]), KEY, "y").kind == INTEGERS  # whole floats, a blank
    floats = of_labels(np.array([0.5, 1.0, 0.5]), KEY, "y")
    assert (floats.kind, floats.distinct, floats.example) == (FLOATS, 2, "0.5")
    assert of_labels(np.array(["cat", "dog"]), KEY, "y").kind == TEXT
    assert of_labels(np.zeros((2, 4, 4, 1), "uint8"), KEY, "y").kind == MASKS
    assert of_labels(np.full((2, 4, 4), 0.5), KEY, "y").kind == FLOATS  # fractions per pixel: no mask
