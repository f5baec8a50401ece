"""Request bodies: the nesting bound reads strings as json does."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def _nesting(value) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    return 1 + max(map(_nesting, value), default=0) if isinstance(value, list) else 0


awkward = st.text(alphabet='[]{}"\\a', max_size=6)  # brackets, quotes and backslashes in strings


@settings(max_examples=150, deadline=None, database=None)
@given(st.recursive(st.none() | awkward, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(awkward, inner)))
def test_the_nesting_bound_reads_strings_as_json_does(value):
    """The bound is checked on the bytes before json parses them: the scan's depth is the parsed one."""
    from dlkit.serve.bodies import MAX_DEPTH, BadRequest, parse_json

    body = json.dumps(value).encode()
    if _nesting(value) > MAX_DEPTH:
        with pytest.raises(BadRequest, match=f"nests lists and objects {_nesting(value)} deep"):
            parse_json(body)
    else:
        assert parse_json(body) == value
    deeper = b"[" * (MAX_DEPTH + 1) + body + b"]" * (MAX_DEPTH + 1)
    with pytest.raises(BadRequest, match=f"{MAX_DEPTH + 1 + _nesting(value)} deep"):
        parse_json(deeper)
