"""Messages stay short and helpful: capped lists, clipped values, the close name or the other
framework's name as a hint, and unknown keys refused at their path."""

import pytest

from dlkit.core.strict import listed


def test_listed_caps_long_lists():
    assert listed(["a", "b"]) == "a, b"
    assert listed(range(25)) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more"
    assert listed(range(7), limit=3) == "0, 1, 2 and 4 more"


def test_hints_name_the_close_word_or_the_other_frameworks_name():
    from dlkit.core.strict import did_you_mean, loose_key

    assert loose_key("Max-Pooling_2D") == loose_key("maxpooling2d") == "maxpooling2d"
    assert did_you_mean("filtres", ["filters", "kernel_size"]) == "did you mean 'filters'?"
    assert did_you_mean("out_channels", ["filters", "kernel_size"]) == (
        "did you mean 'filters'? (PyTorch's out_channels is Keras's filters)"
    )
    assert (
        did_you_mean("in_channels", ["filters"]) == "Keras infers the input channels from the previous layer; remove it"
    )
    assert did_you_mean("p", ["units"]) == "valid: units"  # `p` is dropout's rate only where there is a rate
    assert did_you_mean("zzz", ["b", "a"]) == "valid: a, b"
    assert did_you_mean("zzz", ["a"], listing=False) == ""


def test_a_users_value_is_echoed_cut_short():
    from dlkit.core.strict import clipped

    assert clipped("short") == "'short'"
    assert clipped("x" * 100) == "'" + "x" * 56 + "..." and len(clipped("x" * 100)) == 60
    assert clipped(list(range(100)), 20) == "[0, 1, 2, 3, 4, 5..."


def test_strict_models_refuse_unknown_keys_at_their_path_with_a_hint():
    from typing import ClassVar

    from pydantic import ValidationError

    from dlkit.core.strict import Strict

    class Inner(Strict):
        units: int = 1

    class Outer(Strict):
        refused: ClassVar[dict[str, str]] = {"sample_every": "only for task gan"}
        inner: Inner = Inner()

    assert Outer.model_validate({"inner": {"units": 3}}).inner.units == 3
    with pytest.raises(ValidationError) as refused:
        Outer.model_validate({"inner": {"unit": 3}, "sample_every": 2, "innr": {}})
    errors = {".".join(map(str, e["loc"])): e["msg"] for e in refused.value.errors()}
    assert errors == {
        "sample_every": "only for task gan",
        "innr": "unknown key; did you mean 'inner'?",
    }  # the outer keys first; the inner model is not reached with its parent refused
