"""The one registry mechanism: names matched loosely, hints, build and dump, descriptions, and the
three forms of `dlkit.register_*`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dlkit.core.registry import Registry, Spec, snake_case


def test_list_shows_a_description_whole(cli):
    from dlkit.core.registries import REGISTRIES
    from dlkit.core.registry import first_sentence

    summaries = {name: summary for name, summary, _ in REGISTRIES["preprocess"].describe()}
    assert summaries["normalize"].endswith("per channel (or feature), as fitted on the training split.")
    assert first_sentence("Crop it.\n    Then more.") == "Crop it."
    assert first_sentence("A long one\n    on two lines (e.g. this). Next.") == "A long one on two lines (e.g. this)."
    assert first_sentence("Attention, a.k.a. Bahdanau-style. More.") == "Attention, a.k.a. Bahdanau-style."
    result = cli("list", "preprocess")
    assert result.exit_code == 0 and "training split." in result.stdout


@pytest.mark.parametrize(
    "name, snake",
    [
        ("Conv2D", "conv2d"),
        ("MaxPooling2D", "max_pooling2d"),
        ("LSTM", "lstm"),
        ("LeakyReLU", "leaky_relu"),
        ("Conv2DTranspose", "conv2d_transpose"),
        ("GlobalAveragePooling1D", "global_average_pooling1d"),
    ],
)
def test_snake_case(name, snake):
    assert snake_case(name) == snake


@pytest.fixture
def registry():
    things = Registry("thing", "things")

    @things.register(aliases=("sq",))
    class Square(Spec):
        """Squares a number."""

        side: int = 2

        def build(self, scale=1):
            return self.side**2 * scale

    return things


def test_build_pops_type_and_passes_arguments(registry):
    assert registry.build({"type": "square", "side": 3}) == 9
    assert registry.build("square", scale=10) == 40


def test_names_match_loosely_and_by_alias(registry):
    for spelling in ("square", "Square", "SQUARE", "sq"):
        assert registry.parse(spelling).type_name == "square"


def test_unknown_name_suggests_the_closest(registry):
    with pytest.raises(ValidationError, match=r"unknown thing 'squre'; did you mean 'square'\? \(`dlkit list things`"):
        registry.parse("squre")


def test_unknown_argument_suggests_the_closest(registry):
    with pytest.raises(ValidationError, match=r"sid\n.*unknown key; did you mean 'side'\?"):
        registry.parse({"type": "square", "sid": 3})


def test_registering_a_name_twice_fails(registry):
    with pytest.raises(ValueError, match="registered twice"):
        registry.add("sq", Spec)


def test_dump_names_the_type_and_fills_defaults(registry):
    assert registry.parse("square").model_dump() == {"type": "square", "side": 2}


def test_describe_lists_summary_and_aliases(registry):
    assert registry.describe() == [("square", "Squares a number.", ["sq"])]


def test_register_takes_the_three_forms_and_names_the_right_one_otherwise():
    import keras

    import dlkit
    from dlkit.core.registries import LAYERS

    class CalledLayer(keras.layers.Layer):
        pass

    class BareDecorated(keras.layers.Layer):
        pass

    dlkit.register_layer(CalledLayer)
    dlkit.register_layer(BareDecorated)  # what `@dlkit.register_layer` without () does
    dlkit.register_layer("named_layer_of_test")(type("Named", (keras.layers.Layer,), {}))
    assert {"called_layer", "bare_decorated", "named_layer_of_test"} <= set(LAYERS.names())
    with pytest.raises(TypeError, match=r"write @dlkit.register_layer\(\) above the class"):
        dlkit.register_layer(3)
    with pytest.raises(TypeError, match="registers a class"):
        dlkit.register_metric()(len)
