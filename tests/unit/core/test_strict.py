"""Lists in messages stay short."""

from dlkit.strict import listed


def test_listed_caps_long_lists():
    assert listed(["a", "b"]) == "a, b"
    assert listed(range(25)) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more"
    assert listed(range(7), limit=3) == "0, 1, 2 and 4 more"
