"""Request bodies: JSON read within a nesting bound (checked on the bytes, reading strings as json does) and
Python's integer-digit limit, every other problem the caller's (400)."""

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


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{not json", "the body is not JSON (Expecting property name"),
        (b"", "the body is not JSON"),
        (
            b'{"instances": [' + b"[" * 40 + b"]" * 40 + b"]}",
            "the body nests lists and objects 42 deep; this server reads at most 32",
        ),
        (
            b'{"instances": [' + b"9" * 5000 + b"]}",
            "the body has a number of more than 4300 digits; no model takes one",
        ),
        (b"\xff\xfe{\x00}\x00", None),  # UTF-16 with a BOM: read, as json reads it
        (b'{"a": "\xff"}', "the body is not JSON"),
    ],
)
def test_parse_json_says_what_is_wrong_with_a_body(body, said):
    from dlkit.serve.bodies import BadRequest, parse_json

    if said is None:
        assert parse_json(body) == {}
        return
    with pytest.raises(BadRequest) as refused:
        parse_json(body)
    assert refused.value.status == 400 and str(refused.value).startswith(said), str(refused.value)


def test_brackets_in_strings_count_by_how_json_reads_the_quotes():
    """An escaped quote does not end a string, so the brackets after it are text; a quote after an
    escaped backslash does, so the brackets after it nest."""
    from dlkit.serve.bodies import MAX_DEPTH, BadRequest, parse_json

    text = "[" * 100 + '"' + "{" * 50  # json.dumps writes the quote escaped: \"
    assert parse_json(json.dumps({"note": text, "instances": [[1.0]]}).encode())["note"] == text
    closed = b'{"note": "ends in a backslash \\\\", "deep": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert json.loads(closed)["note"].endswith("\\")
    with pytest.raises(BadRequest, match=f"nests lists and objects 41 deep; this server reads at most {MAX_DEPTH}"):
        parse_json(closed)
