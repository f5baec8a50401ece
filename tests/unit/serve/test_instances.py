"""Decoding a request's instances: a numeric column past float is refused naming the instance."""

import math

import pytest


def test_a_numeric_column_past_float_is_refused_naming_the_instance():
    """A table run's numeric column, read as its served decoder reads a request's rows (the runs
    served here have id columns only)."""
    from dlkit.serve.bodies import BadRequest
    from dlkit.serve.instances import Decoder

    decoder = object.__new__(Decoder)
    decoder.kind, decoder.columns, decoder.options = "table", {"x": None}, {}
    fine = decoder.decode([{"x": 1.5}, {"x": None}, {"x": 7}])
    assert fine.examples["x"][:, 0][[0, 2]].tolist() == [1.5, 7.0]
    for value, said in [
        (10**400, "a number beyond float64"),
        (1e39, "not a finite"),
        ("inf", "not a finite"),
        (math.nan, "not a finite"),
    ]:
        with pytest.raises(BadRequest, match=f"instance 1: column 'x': {said}"):
            decoder.decode([{"x": 1}, {"x": value}])
    assert decoder.decode([{"x": 1e39}], finite=False).examples["x"][0, 0] == math.inf
    with pytest.raises(BadRequest, match="beyond float64"):
        decoder.decode([{"x": 10**400}], finite=False)
